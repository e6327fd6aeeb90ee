//! How the store reads the domain's values (feature `sqlx`): an enum as its code, hours as
//! tenths; a stored value the domain does not know is a decode error, never a guess. (They
//! are bound through the store's `Sql::bind_code` and `Hours::tenths`.)

use sqlx::any::AnyTypeInfo;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Type};

use crate::Hours;

/// Implements the store's traits for an enum of `domain_enum!`, which invokes it.
macro_rules! stored_as_code {
    ($($t:ty),+ $(,)?) => {
        $(
            impl ::sqlx::Type<::sqlx::Any> for $t {
                fn type_info() -> ::sqlx::any::AnyTypeInfo {
                    <str as ::sqlx::Type<::sqlx::Any>>::type_info()
                }

                fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                    <str as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
                }
            }

            impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $t {
                fn decode(
                    value: <::sqlx::Any as ::sqlx::Database>::ValueRef<'r>,
                ) -> Result<Self, ::sqlx::error::BoxDynError> {
                    Ok(<&str as ::sqlx::Decode<::sqlx::Any>>::decode(value)?.parse()?)
                }
            }
        )+
    };
}

pub(crate) use stored_as_code;

impl Type<Any> for Hours {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Hours {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        match <i64 as Decode<Any>>::decode(value)? {
            tenths if tenths >= 0 => Ok(Hours::from_tenths(tenths)),
            tenths => Err(format!("negative hours: {tenths} tenths").into()),
        }
    }
}
