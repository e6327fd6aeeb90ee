//! Request limits (API.md): per user on everything authenticated, so that the 300 teachers
//! of a school behind one NAT address are never throttled for being many; per client address
//! only on the public lookups. In memory per server (GCRA, `governor`): behind a load
//! balancer each server allows its share.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

#[derive(Clone)]
pub struct RateLimits {
    user: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    address: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl RateLimits {
    /// `user_per_second` with bursts of three times as many; `address_per_minute` with a burst
    /// of the same number. `0` switches a limit off.
    pub fn new(user_per_second: u32, address_per_minute: u32) -> RateLimits {
        let user = NonZeroU32::new(user_per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::new(3).expect("three"));
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        let address = NonZeroU32::new(address_per_minute)
            .map(|rate| Arc::new(RateLimiter::keyed(Quota::per_minute(rate))));
        RateLimits { user, address }
    }

    /// One authenticated request of `user_id`.
    pub fn check_user(&self, user_id: &str) -> Result<(), AppError> {
        check(self.user.as_deref(), user_id)
    }

    /// One public lookup from `address`.
    pub fn check_address(&self, address: &str) -> Result<(), AppError> {
        check(self.address.as_deref(), address)
    }

    /// Forgets keys whose budget is full again, so the maps hold only recent clients.
    pub fn forget_idle(&self) {
        for limiter in [&self.user, &self.address].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Runs [`RateLimits::forget_idle`] every minute.
    pub async fn sweep_forever(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            self.forget_idle();
        }
    }
}

fn check(limiter: Option<&DefaultKeyedRateLimiter<String>>, key: &str) -> Result<(), AppError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter
        .check_key(&key.to_owned())
        .map_err(|not_until| AppError::TooManyRequests {
            retry_after: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_a_burst_of_three_seconds_then_waits() {
        let limits = RateLimits::new(2, 0);
        for _ in 0..6 {
            limits.check_user("u1").unwrap();
        }
        let Err(AppError::TooManyRequests { retry_after }) = limits.check_user("u1") else {
            panic!("the seventh request in a moment is refused")
        };
        assert!((1..=2).contains(&retry_after));
        // Another user, from the same school's NAT or anywhere, has a budget of their own.
        limits.check_user("u2").unwrap();
        // Addresses are unlimited when the setting is 0.
        for _ in 0..1000 {
            limits.check_address("10.0.0.1").unwrap();
        }
    }

    #[test]
    fn zero_switches_the_user_limit_off() {
        let limits = RateLimits::new(0, 1);
        for _ in 0..1000 {
            limits.check_user("u1").unwrap();
        }
        limits.check_address("192.0.2.1").unwrap();
        assert!(limits.check_address("192.0.2.1").is_err());
        limits.check_address("192.0.2.2").unwrap();
    }
}
