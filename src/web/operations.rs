//! The example operations of `playground/operations/*.graphql`, embedded. They open as tabs
//! in the playground, and a test runs every one against demo data.

/// One example operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The file name without `.graphql`.
    pub name: &'static str,
    pub document: &'static str,
    /// The JSON of a `# variables: {...}` line, if the file has one. `$TODAY` in it stands for
    /// the current UTC date.
    pub variables: Option<&'static str>,
}

macro_rules! operations {
    ($($name:literal),+ $(,)?) => {
        /// The files, in tab order.
        pub const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../playground/operations/", $name, ".graphql")))),+
        ];
    };
}

operations!(
    "01-latest-sales-with-items",
    "02-todays-sales",
    "03-sales-paging-backward",
    "04-customer-card-with-pii",
    "05-customer-card-without-pii",
    "06-orders-with-customers",
    "07-low-stock",
    "08-stock-movements",
    "09-purchase-orders-with-receipts",
    "10-sales-summary-by-branch",
    "11-inventory-summary",
    "12-viewer-and-rate-limit",
    "13-product-catalog",
    "14-customers-with-or-without-pii",
);

const VARIABLES_PREFIX: &str = "# variables:";

/// Every embedded operation, in tab order.
pub fn all() -> Vec<Operation> {
    FILES
        .iter()
        .map(|(name, document)| Operation {
            name,
            document,
            variables: document.lines().find_map(|line| {
                line.strip_prefix(VARIABLES_PREFIX)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_and_the_embedded_list_agree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/playground/operations");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("operations directory")
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".graphql").map(str::to_owned)
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(on_disk, embedded, "register new operation files in FILES");
        assert!(embedded.len() >= 12);
    }

    #[test]
    fn variables_lines_are_json_objects() {
        for op in all() {
            if let Some(variables) = op.variables {
                let value: serde_json::Value =
                    serde_json::from_str(variables).expect("variables are JSON");
                assert!(value.is_object(), "{}", op.name);
            }
        }
        assert!(all().iter().any(|op| op.variables.is_some()));
    }
}
