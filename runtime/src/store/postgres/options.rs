//! How a PostgreSQL store is reached: the server's connection settings, the schema its tables live in, the pool.

use std::str::FromStr;

/// The schema a store uses when none is named.
pub const DEFAULT_SCHEMA: &str = "factum";

/// The longest schema name accepted: PostgreSQL truncates identifiers past 63 bytes, and the store derives longer
/// names from it (its notification channel `factum_events_<schema>`).
pub const MAX_SCHEMA_LEN: usize = 48;

/// Where and how a [`super::PostgresStore`] connects.
///
/// ```
/// use factum::store::postgres::PostgresOptions;
///
/// let options = PostgresOptions::from_url("postgres://postgres@127.0.0.1:5432/test?schema=orders")?;
/// assert_eq!(options.schema_name(), "orders");
/// assert!(PostgresOptions::from_url("postgres://127.0.0.1/test?schema=Robert');DROP").is_err());
/// # Ok::<(), factum::store::postgres::PostgresConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    pub(super) config: tokio_postgres::Config,
    pub(super) schema: String,
    pub(super) pool_size: usize,
}

/// Connection settings that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresConfigError {
    /// The URL (or key-value string) is not one tokio-postgres reads.
    #[error("`{url}` is not a PostgreSQL connection string: {source}")]
    Url {
        /// What was given, without the store's own options.
        url: String,
        /// What the parser said.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The schema name is not one the store accepts.
    #[error(
        "`{name}` is not a schema name the store accepts: {reason} (use lowercase letters, digits and `_`, starting \
         with a letter or `_`, at most {MAX_SCHEMA_LEN} characters)"
    )]
    SchemaName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A store option in the URL's query (`?schema=...&pool_size=...`) with a value that cannot be used.
    #[error("`{option}`: {expected}")]
    Option {
        /// The option as written.
        option: String,
        /// What the store accepts there.
        expected: &'static str,
    },
}

impl PostgresOptions {
    /// Reads a connection URL (`postgres://user@host:port/database`) or key-value string (`host=... user=...`), as
    /// tokio-postgres reads them, plus the store's own options in the URL's query, which are taken out before the
    /// rest is handed on:
    ///
    /// - `schema=NAME`: the schema of the store's tables ([`DEFAULT_SCHEMA`] unless given), checked by
    ///   [`PostgresOptions::schema`];
    /// - `pool_size=N`: the most connections the pool opens (16 unless given).
    pub fn from_url(url: &str) -> Result<Self, PostgresConfigError> {
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, query),
            None => (url, ""),
        };
        let mut schema = None;
        let mut pool_size = None;
        let mut passed_on = Vec::new();
        for option in query.split('&').filter(|option| !option.is_empty()) {
            if let Some(name) = option.strip_prefix("schema=") {
                schema = Some(name);
            } else if let Some(size) = option.strip_prefix("pool_size=") {
                let size = size.parse::<usize>().ok().filter(|size| *size > 0);
                pool_size = Some(size.ok_or_else(|| PostgresConfigError::Option {
                    option: option.to_owned(),
                    expected: "`pool_size` takes a positive number of connections",
                })?);
            } else {
                passed_on.push(option);
            }
        }
        let rest = match passed_on.is_empty() {
            true => base.to_owned(),
            false => format!("{base}?{}", passed_on.join("&")),
        };
        let config = tokio_postgres::Config::from_str(&rest)
            .map_err(|source| PostgresConfigError::Url { url: rest.clone(), source })?;
        let options = PostgresOptions { config, schema: DEFAULT_SCHEMA.to_owned(), pool_size: 16 };
        let options = match schema {
            Some(schema) => options.schema(schema)?,
            None => options,
        };
        Ok(match pool_size {
            Some(size) => options.pool_size(size),
            None => options,
        })
    }

    /// Options of an already built tokio-postgres configuration, with the default schema.
    pub fn from_config(config: tokio_postgres::Config) -> Self {
        PostgresOptions { config, schema: DEFAULT_SCHEMA.to_owned(), pool_size: 16 }
    }

    /// Puts the store's tables in schema `name`, created when missing.
    ///
    /// The name is checked, not quoted into shape: lowercase ASCII letters, digits and `_`, starting with a letter or
    /// `_`, at most [`MAX_SCHEMA_LEN`] characters, and not starting with `pg_` (PostgreSQL reserves those). So it is
    /// the same identifier quoted or not, and safe inside every statement the store writes.
    pub fn schema(mut self, name: &str) -> Result<Self, PostgresConfigError> {
        check_schema_name(name)?;
        self.schema = name.to_owned();
        Ok(self)
    }

    /// Opens at most `size` connections (at least 1) in the store's pool; the listening connection of live
    /// followers is one more.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// The schema the store's tables are in.
    pub fn schema_name(&self) -> &str {
        &self.schema
    }

    /// The tokio-postgres configuration the store connects with.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }
}

/// Checks a schema name by the rules of [`PostgresOptions::schema`].
fn check_schema_name(name: &str) -> Result<(), PostgresConfigError> {
    let refuse = |reason| Err(PostgresConfigError::SchemaName { name: name.to_owned(), reason });
    let Some(first) = name.chars().next() else {
        return refuse("it is empty");
    };
    if name.len() > MAX_SCHEMA_LEN {
        return refuse("it is too long");
    }
    if !(first.is_ascii_lowercase() || first == '_') {
        return refuse("it must start with a lowercase letter or `_`");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return refuse("it may hold only lowercase letters, digits and `_`");
    }
    if name.starts_with("pg_") {
        return refuse("names starting with `pg_` are reserved by PostgreSQL");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `url` and says which schema and pool size it names, or the error's message.
    fn check(url: &str, expected: &str) {
        let found = match PostgresOptions::from_url(url) {
            Ok(options) => format!("{} {}", options.schema, options.pool_size),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{url}");
    }

    #[test]
    fn urls_name_a_schema_and_a_pool_or_say_what_is_wrong() {
        check("postgres://postgres@127.0.0.1:5432/test", "factum 16");
        check("postgres://postgres@127.0.0.1:5432/test?schema=orders_2", "orders_2 16");
        check("postgres://127.0.0.1/test?connect_timeout=5&schema=_x&pool_size=3", "_x 3");
        check("host=127.0.0.1 user=postgres", "factum 16");
        let rules = "(use lowercase letters, digits and `_`, starting with a letter or `_`, at most 48 characters)";
        check(
            "postgres://127.0.0.1/test?schema=Orders",
            &format!(
                "`Orders` is not a schema name the store accepts: it must start with a lowercase letter or `_` {rules}"
            ),
        );
        check(
            "postgres://127.0.0.1/test?schema=a;drop",
            &format!("`a;drop` is not a schema name the store accepts: it may hold only lowercase letters, digits and `_` {rules}"),
        );
        check(
            "postgres://127.0.0.1/test?schema=",
            &format!("`` is not a schema name the store accepts: it is empty {rules}"),
        );
        check(
            "postgres://127.0.0.1/test?schema=pg_catalog",
            &format!(
                "`pg_catalog` is not a schema name the store accepts: names starting with `pg_` are reserved by \
                 PostgreSQL {rules}"
            ),
        );
        check(
            &format!("postgres://127.0.0.1/test?schema={}", "a".repeat(49)),
            &format!("`{}` is not a schema name the store accepts: it is too long {rules}", "a".repeat(49)),
        );
        check(
            "postgres://127.0.0.1/test?pool_size=0",
            "`pool_size=0`: `pool_size` takes a positive number of connections",
        );
        assert!(matches!(
            PostgresOptions::from_url("postgres://127.0.0.1/test?colour=blue"),
            Err(PostgresConfigError::Url { .. })
        ));
    }
}
