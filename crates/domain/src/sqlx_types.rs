//! How the store reads and binds the domain's values (feature `sqlx`): an enum as its code,
//! hours as tenths. A stored value the domain does not know is a decode error, never a guess.

use sqlx::any::AnyTypeInfo;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

use crate::enums::*;
use crate::{Decision, Hours, ReviewLevel};

macro_rules! stored_as_code {
    ($($t:ty),+ $(,)?) => {
        $(
            impl Type<Any> for $t {
                fn type_info() -> AnyTypeInfo {
                    <str as Type<Any>>::type_info()
                }

                fn compatible(ty: &AnyTypeInfo) -> bool {
                    <str as Type<Any>>::compatible(ty)
                }
            }

            impl<'r> Decode<'r, Any> for $t {
                fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                    Ok(<&str as Decode<Any>>::decode(value)?.parse()?)
                }
            }

            impl Encode<'_, Any> for $t {
                fn encode_by_ref(
                    &self,
                    buf: &mut <Any as Database>::ArgumentBuffer,
                ) -> Result<IsNull, BoxDynError> {
                    <&str as Encode<Any>>::encode(self.as_str(), buf)
                }
            }
        )+
    };
}

stored_as_code!(
    Category,
    ActivityType,
    Source,
    Role,
    OrgKind,
    Ownership,
    SchoolType,
    OrgStatus,
    TeacherStatus,
    RecordStatus,
    DeclarationStatus,
    ReasonCode,
    TransferStatus,
    CorrectionStatus,
    SchoolApplicationStatus,
    ReviewLevel,
    Decision,
);

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
