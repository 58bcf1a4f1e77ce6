//! The batched look-ups of nested fields, written so that their SQL text is the same however
//! many keys a page hands them: each statement is then prepared once per connection and kept in
//! the driver's statement cache, where a list of `?` per key made a new statement, prepared
//! again (a round trip on PostgreSQL) and evicting others, for every length of list.
//!
//! The keys travel as one value: a `text[]` on PostgreSQL, a JSON array on SQLite, which reads
//! it with `json_each`.

use sea_orm::sea_query::{Expr, ExprTrait, PgFunc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement, Value};

/// `column` is one of `values`, in one shape whatever their number.
pub fn one_of<C: ColumnTrait>(backend: DbBackend, column: C, values: &[String]) -> Expr {
    match backend {
        DbBackend::Postgres => {
            Expr::col((column.entity_name(), column)).eq(PgFunc::any(Expr::val(values.to_vec())))
        }
        // SQLite's builder numbers no placeholder: each `?` takes the next expression.
        _ => Expr::cust_with_exprs(
            "? IN (SELECT value FROM json_each(?))",
            [
                Expr::col((column.entity_name(), column)),
                Expr::val(json_array(values)),
            ],
        ),
    }
}

fn json_array(values: &[String]) -> String {
    serde_json::Value::from(values).to_string()
}

/// Up to `limit` rows of `E` for each of `values` of the column `partition`, newest first by
/// (`time`, `id`), in one statement however many values there are.
///
/// On PostgreSQL each value reads its own rows from the index on (`partition`, `time`, `id`),
/// stopping at `limit`; SQLite has no lateral join, so it ranks the rows of every value and
/// keeps the first `limit` of each.
pub async fn latest_per<E: EntityTrait>(
    db: &DatabaseConnection,
    partition: &str,
    time: &str,
    id: &str,
    values: &[String],
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    if values.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let table = E::default().table_name().to_owned();
    let statement = latest_per_statement(
        db.get_database_backend(),
        &table,
        [partition, time, id],
        values,
        limit,
    );
    E::find().from_raw_sql(statement).all(db).await
}

fn latest_per_statement(
    backend: DbBackend,
    table: &str,
    [partition, time, id]: [&str; 3],
    values: &[String],
    limit: u64,
) -> Statement {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (sql, keys) = match backend {
        DbBackend::Postgres => (
            format!(
                "SELECT t.* FROM unnest($1::text[]) AS k(value) CROSS JOIN LATERAL \
                 (SELECT * FROM {table} WHERE {partition} = k.value \
                  ORDER BY {time} DESC, {id} DESC LIMIT $2) t"
            ),
            Value::from(values.to_vec()),
        ),
        _ => (
            format!(
                "SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.{partition} \
                 ORDER BY t.{time} DESC, t.{id} DESC) AS row_rank FROM {table} t \
                 WHERE t.{partition} IN (SELECT value FROM json_each(?))) ranked \
                 WHERE row_rank <= ?"
            ),
            Value::from(json_array(values)),
        ),
    };
    Statement::from_sql_and_values(backend, sql, [keys, Value::from(limit)])
}

#[cfg(test)]
mod tests {
    use entity::contacts;
    use sea_orm::{QueryFilter, QueryTrait};

    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("key-{i}")).collect()
    }

    #[test]
    fn the_sql_of_a_look_up_is_the_same_for_any_number_of_keys() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let one_of_sql = |n| {
                contacts::Entity::find()
                    .filter(one_of(backend, contacts::Column::Id, &keys(n)))
                    .build(backend)
                    .sql
            };
            assert_eq!(one_of_sql(1), one_of_sql(37), "{backend:?}");
            let latest_sql = |n, limit| {
                latest_per_statement(
                    backend,
                    "messages",
                    ["phone", "occurred_at", "id"],
                    &keys(n),
                    limit,
                )
                .sql
            };
            assert_eq!(latest_sql(1, 11), latest_sql(50, 4), "{backend:?}");
        }
    }
}
