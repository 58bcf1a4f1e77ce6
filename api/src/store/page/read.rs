//! Reading a page: the query bounded by the page's cursors, order and size, and the rows read
//! turned into a [`Page`] with their cursors.

use sea_orm::{
    ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef,
    Select,
};

use super::{Direction, Ordering, Page, PageRequest};
use crate::store::{ReadError, StoreError};

/// A first page made of rows already read newest first (`limit + 1` of them at most, the extra
/// one telling that there are more), with the cursors of `ordering`.
pub fn first_page_of<E: EntityTrait>(
    mut rows: Vec<E::Model>,
    ordering: &Ordering<E>,
    limit: u64,
) -> Page<E::Model> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page {
        rows: rows
            .into_iter()
            .map(|row| (ordering.cursor(&row), row))
            .collect(),
        has_next_page: more,
        has_previous_page: false,
    }
}

/// Reads one page of `query` in `ordering`.
pub async fn fetch<E, C>(
    db: &C,
    query: Select<E>,
    ordering: &Ordering<E>,
    page: &PageRequest,
) -> Result<Page<E::Model>, ReadError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = bounded(query, ordering, page)?
        .all(db)
        .await
        .map_err(StoreError::from)?;
    Ok(paged(rows, ordering, page, |row| row))
}

/// Reads one page of `query` in `ordering`, each row with the row of `F` that `relation` joins
/// to it, in the same statement: a nested object the page selects costs no second round trip.
pub async fn fetch_joined<E, F, C>(
    db: &C,
    query: Select<E>,
    relation: RelationDef,
    ordering: &Ordering<E>,
    page: &PageRequest,
) -> Result<Page<(E::Model, Option<F::Model>)>, ReadError>
where
    E: EntityTrait,
    F: EntityTrait,
    C: ConnectionTrait,
{
    let rows = bounded(query, ordering, page)?
        .join(JoinType::LeftJoin, relation)
        .select_also(F::default())
        .all(db)
        .await
        .map_err(StoreError::from)?;
    Ok(paged(rows, ordering, page, |(row, _)| row))
}

/// `query` limited to the page asked for: beyond its cursors, in its order, one row more than
/// its size to tell whether there are more.
fn bounded<E: EntityTrait>(
    mut query: Select<E>,
    ordering: &Ordering<E>,
    page: &PageRequest,
) -> Result<Select<E>, ReadError> {
    for cursor in [&page.after, &page.before].into_iter().flatten() {
        ordering.check(cursor)?;
    }
    if let Some(after) = &page.after {
        query = query.filter(ordering.beyond(after, true));
    }
    if let Some(before) = &page.before {
        query = query.filter(ordering.beyond(before, false));
    }
    for (column, direction) in &ordering.keys {
        let ascending = (*direction == Direction::Asc) != page.backward;
        query = if ascending {
            query.order_by_asc(*column)
        } else {
            query.order_by_desc(*column)
        };
    }
    Ok(query.limit(page.limit + 1))
}

/// The page made of the rows that [`bounded`] read, `model` telling each one's entity row.
fn paged<E: EntityTrait, R>(
    mut rows: Vec<R>,
    ordering: &Ordering<E>,
    page: &PageRequest,
    model: impl Fn(&R) -> &E::Model,
) -> Page<R> {
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    if page.backward {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|row| (ordering.cursor(model(&row)), row))
        .collect();
    if page.backward {
        Page {
            rows,
            has_next_page: page.before.is_some(),
            has_previous_page: more,
        }
    } else {
        Page {
            rows,
            has_next_page: more,
            has_previous_page: page.after.is_some(),
        }
    }
}
