// What a partner frontend does with the generated typed documents; `tsc --strict` over this file
// and the generated code proves the types are usable as generated, and precise: a custom scalar
// is `string` (not `any`), a PII field asked for with `@include` may be absent, variables are
// checked. Every `@ts-expect-error` below must be an error, or tsc fails.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { useFragment } from '@generated/graphql/fragment-masking';
import {
  BranchFieldsFragmentDoc,
  CustomersDocument,
  DashboardDocument,
  InventoryLevelsDocument,
  NodeByIdDocument,
  PurchaseOrdersDocument,
  SalesOrdersPageDocument,
  ViewerDocument,
  type SalesOrdersPageQuery,
} from '@generated/graphql/graphql';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: { code?: string } }>;
}

/** POSTs a typed document; the variables are required exactly when the operation has some. */
export async function execute<TData, TVariables extends Record<string, unknown>>(
  endpoint: string,
  token: string,
  document: TypedDocumentNode<TData, TVariables>,
  ...[variables]: Record<string, never> extends TVariables ? [TVariables?] : [TVariables]
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as GraphQLResponse<TData>;
}

type Order = NonNullable<SalesOrdersPageQuery['salesOrders']>['edges'][number]['node'];
assertType<Equal<Order['totalAmount'], string>>(); // Decimal
assertType<Equal<Order['orderDate'], string>>(); // DateTime
assertType<Equal<Order['uuid'], string>>(); // UUID
assertType<Equal<NonNullable<Order['customer']>['email'], string | null | undefined>>(); // PII, @include
assertType<Equal<NonNullable<Order['customer']>['dateOfBirth'], string | null | undefined>>(); // Date

export async function latestSales(endpoint: string, token: string, today: string) {
  const viewer = await execute(endpoint, token, ViewerDocument);
  const withPii = viewer.data?.viewer.scopes.includes('read:customers:pii') ?? false;
  const remaining: number | undefined = viewer.data?.viewer.rateLimit.remaining;

  const { data } = await execute(endpoint, token, SalesOrdersPageDocument, {
    first: 10,
    filter: { from: today, to: today },
    withPii,
  });
  // @ts-expect-error withPii is required
  await execute(endpoint, token, SalesOrdersPageDocument, { first: 10 });
  // @ts-expect-error a day is a `YYYY-MM-DD` string
  await execute(endpoint, token, SalesOrdersPageDocument, { first: 10, withPii, filter: { from: new Date() } });

  const order = data?.salesOrders?.edges[0]?.node;
  const total: string | undefined = order?.totalAmount;
  // @ts-expect-error a Decimal is a string, never a binary float
  const asFloat: number | undefined = order?.totalAmount;
  const email: string | null | undefined = order?.customer?.email;
  // @ts-expect-error a PII field asked for with @include may be absent
  const emailSure: string | null = order!.customer!.email;
  const branch = useFragment(BranchFieldsFragmentDoc, order?.branch);
  const branchName: string | undefined = branch?.name;
  const lines = order?.items.map((item) => `${item.lineNo} ${item.skuName} × ${item.quantity} = ${item.lineTotal}`);
  return { remaining, total, asFloat, email, emailSure, branchName, lines, next: data?.salesOrders?.pageInfo.endCursor };
}

export async function describe(endpoint: string, token: string, id: string): Promise<string> {
  const { data } = await execute(endpoint, token, NodeByIdDocument, { id });
  const node = data?.node;
  if (!node) return 'not found';
  switch (node.__typename) {
    case 'SalesOrder':
      return `${node.orderNumber}: ${node.totalAmount} (${node.status})`;
    case 'Sku':
      return `${node.skuCode} ${node.name} at ${node.price}`;
    case 'Warehouse':
      return `${node.code} ${node.name} (${node.kind})`;
    case 'Branch':
      return useFragment(BranchFieldsFragmentDoc, node).timezone;
    default:
      return node.id;
  }
}

export async function lowStock(endpoint: string, token: string): Promise<string[]> {
  const { data } = await execute(endpoint, token, InventoryLevelsDocument, { first: 20, lowStock: true });
  return (data?.inventoryLevels?.edges ?? []).map(({ node }) => {
    const available: string = node.available;
    const warehouse: string = node.warehouse.name;
    const branch = useFragment(BranchFieldsFragmentDoc, node.warehouse.branch);
    return `${node.sku?.skuCode ?? '?'} ${available} in ${warehouse} (${branch.name})`;
  });
}

export async function openPurchaseOrders(endpoint: string, token: string, from: string, to: string) {
  const { data } = await execute(endpoint, token, PurchaseOrdersDocument, {
    first: 5,
    filter: { from, to, status: 'ORDERED' },
  });
  // @ts-expect-error not a PurchaseOrderStatus
  await execute(endpoint, token, PurchaseOrdersDocument, { first: 5, filter: { status: 'OPEN' } });
  return (data?.purchaseOrders?.edges ?? []).map(({ node }) => ({
    po: node.poNumber,
    supplier: node.supplier?.name ?? null,
    expected: node.expectedDate satisfies string | null,
    outstanding: node.items.map((item) => item.outstandingQuantity satisfies string),
  }));
}

export async function dashboard(endpoint: string, token: string, from: string, to: string) {
  const { data } = await execute(endpoint, token, DashboardDocument, { from, to });
  const netSales: string | undefined = data?.salesSummary?.totals.netSales;
  const days = data?.salesSummary?.byDay.map((day) => [day.date satisfies string, day.netSales] as const);
  const stockValue: string | undefined = data?.inventorySummary?.totals.stockValue;
  return { netSales, days, stockValue };
}

export async function customers(endpoint: string, token: string, withPii: boolean) {
  const { data } = await execute(endpoint, token, CustomersDocument, { first: 10, withPii });
  return (data?.customers?.edges ?? []).map(({ node }) => ({
    name: node.name,
    tier: node.memberTier satisfies 'REGULAR' | 'SILVER' | 'GOLD' | 'PLATINUM',
    spent: node.totalSpent satisfies string,
    phone: node.phone ?? null,
    postalCode: node.postalCode ?? null,
  }));
}
