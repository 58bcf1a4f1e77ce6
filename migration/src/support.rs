//! Helpers the migrations share.

use sea_orm_migration::prelude::*;

/// Creates a plain index `name` on one column.
pub async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    column: C,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .to_owned(),
        )
        .await
}
