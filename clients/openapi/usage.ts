// What a partner frontend does with the types openapi-typescript generates from openapi.json,
// through openapi-fetch; `tsc --strict` over this file and the generated types proves they are
// usable as generated, and precise: an amount is a string, a page has `data` and `pagination`,
// query parameters are checked. Every `@ts-expect-error` below must be an error, or tsc fails.
import createClient from 'openapi-fetch';
import type { paths } from '@generated/openapi/schema';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

type SalesPage = paths['/api/partner/v1/sales']['get']['responses'][200]['content']['application/json'];
type Sale = SalesPage['data'][number];
assertType<Equal<Sale['total_amount'], string>>();
assertType<Equal<Sale['order_date'], string>>();
assertType<Equal<SalesPage['pagination']['has_more'], boolean>>();

export function partnerClient(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

export async function token(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const client = createClient<paths>({ baseUrl });
  const { data, error } = await client.POST('/oauth/token', {
    body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    bodySerializer: (body) => new URLSearchParams(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string')),
  });
  if (error) throw new Error(`${error.error}: ${error.message}`);
  return data.access_token;
}

export async function salesPage(baseUrl: string, token: string, from: string, cursor?: string) {
  const client = partnerClient(baseUrl, token);
  const { data, error, response } = await client.GET('/api/partner/v1/sales', {
    params: { query: { from, limit: 50, status: 'COMPLETED', ...(cursor === undefined ? {} : { cursor }) } },
  });
  if (error) {
    const fields = error.details?.map((d) => `${d.field}: ${d.message}`) ?? [];
    throw new Error(`${response.status} ${error.error}: ${error.message} ${fields.join(', ')}`);
  }
  // @ts-expect-error an amount is an exact decimal string, never a binary float
  const asFloat: number | undefined = data.data[0]?.total_amount;
  const total: string | undefined = data.data[0]?.total_amount;
  const next: string | null | undefined = data.pagination.next_cursor;
  return { total, asFloat, next, hasMore: data.pagination.has_more };
}

export async function wrongQueries(client: ReturnType<typeof partnerClient>) {
  // @ts-expect-error not a SalesStatus
  await client.GET('/api/partner/v1/sales', { params: { query: { status: 'SHIPPED' } } });
  // @ts-expect-error limit is a number
  await client.GET('/api/partner/v1/sales', { params: { query: { limit: '50' } } });
  // @ts-expect-error the path parameter is required
  await client.GET('/api/partner/v1/sales/{id}/items', {});
}

export async function saleItems(client: ReturnType<typeof partnerClient>, id: string) {
  const { data } = await client.GET('/api/partner/v1/sales/{id}/items', { params: { path: { id } } });
  return data?.data.map((item) => `${item.sku_code} ${item.sku_name} × ${item.quantity} = ${item.line_total}`);
}

export async function lowStock(client: ReturnType<typeof partnerClient>) {
  const { data } = await client.GET('/api/partner/v1/inventory', { params: { query: { low_stock: true } } });
  return data?.data.map((level) => level.available satisfies string);
}

export async function salesSummary(client: ReturnType<typeof partnerClient>, from: string, to: string) {
  const { data } = await client.GET('/api/partner/v1/reports/sales-summary', { params: { query: { from, to } } });
  return data?.totals.net_sales satisfies string | undefined;
}
