//! How the store reads and binds the domain's values (feature `sqlx`): an enum as its code,
//! hours as tenths. A stored value the domain does not know is a decode error, never a guess.

use sqlx::any::AnyTypeInfo;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

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

            impl ::sqlx::Encode<'_, ::sqlx::Any> for $t {
                fn encode_by_ref(
                    &self,
                    buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer,
                ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                    <&str as ::sqlx::Encode<::sqlx::Any>>::encode(self.as_str(), buf)
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

impl Encode<'_, Any> for Hours {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Any>>::encode(self.tenths(), buf)
    }
}
