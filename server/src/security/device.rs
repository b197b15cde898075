//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
//! signed in as a name is given a signed cookie saying so, and its later attempts at that name
//! count against that cookie alone, so nobody else's guessing can lock it out (see `throttle`).
//!
//! The cookie's canonical form, `NONCE.EXPIRES.MAC`:
//! - `NONCE`: 16 bytes from the OS CSPRNG in base64url without padding (22 characters). It names
//!   the cookie: its failures are stored under it.
//! - `EXPIRES`: Unix seconds, in decimal without sign or leading zeros. Signed in, so a copied
//!   cookie stops counting as known once the browser's would have expired.
//! - `MAC`: HMAC-SHA256 in base64url without padding (43 characters) over
//!   `flowshare-device-v2\n{name}\n{credential}\n{NONCE}\n{EXPIRES}`, `{name}` being the user
//!   name as parsed (trimmed, lower case) and `{credential}` the user's stored password hash (its
//!   PHC string), keyed with a key derived from the cookie secret for device cookies only. The
//!   name binds the cookie to it: for any other name it is no cookie at all. The credential binds
//!   it to the password it was earned with: a changed password (or a user removed and made again
//!   under the name) leaves every earlier cookie a stranger's, so someone who once knew the
//!   password keeps no guessing budget of their own.
//!
//! Worked example (pinned by a test): with the cookie secret `example secret`, the name `ada`,
//! the credential `$argon2id$example`, the nonce bytes 0, 1, … 15 and expiry 1767225600 the
//! cookie is
//! `AAECAwQFBgcICQoLDA0ODw.1767225600.X6U2YC3uaTxzRjwp8YRjS2YdravsNQq2cOR7NZHm3ro`.

use super::session::SessionKey;
use app::domain::UserName;
use app::ports::{CookiePolicy, DeviceToken};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What signs and checks device cookies.
#[derive(Clone)]
pub struct DeviceKey([u8; 32]);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

/// A device cookie that checked out for the name tried: the attempt counts against it alone.
#[derive(Clone, PartialEq, Eq)]
pub struct KnownDevice {
    nonce: String,
}

// Not derived: the nonce is half the cookie, and a log line is no place for any of it.
impl std::fmt::Debug for KnownDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KnownDevice(…)")
    }
}

impl KnownDevice {
    /// What the device's failures are stored under (its nonce: without the MAC it is no cookie).
    pub fn id(&self) -> &str {
        &self.nonce
    }
}

/// Whom a cookie is for: a user by name, with the password hash it was earned with.
#[derive(Clone, Copy)]
pub struct Holder<'a> {
    pub name: &'a UserName,
    /// The user's stored password hash (PHC string).
    pub credential: &'a str,
}

const NONCE_BYTES: usize = 16;
/// Far longer than any cookie this module makes: anything longer is not looked at.
const LONGEST: usize = 128;

impl DeviceKey {
    pub fn new(session: &SessionKey) -> Self {
        Self(session.derive("device cookies"))
    }

    /// A new cookie for a browser that just signed in as `holder` at `now` (Unix milliseconds).
    pub fn issue(&self, holder: Holder<'_>, now: i64) -> Result<DeviceToken, getrandom::Error> {
        let nonce = super::random_bytes::<NONCE_BYTES>()?;
        let lifetime = i64::try_from(CookiePolicy::DEVICE_MAX_AGE_SECONDS).unwrap_or(i64::MAX);
        let expires = (now / 1_000).saturating_add(lifetime).max(0).unsigned_abs();
        Ok(self.cookie(holder, nonce, expires))
    }

    fn cookie(&self, holder: Holder<'_>, nonce: [u8; NONCE_BYTES], expires: u64) -> DeviceToken {
        let nonce = URL_SAFE_NO_PAD.encode(nonce);
        let expires = expires.to_string();
        let mac =
            URL_SAFE_NO_PAD.encode(self.mac(holder, &nonce, &expires).finalize().into_bytes());
        DeviceToken(format!("{nonce}.{expires}.{mac}"))
    }

    fn mac(&self, holder: Holder<'_>, nonce: &str, expires: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in [
            "flowshare-device-v2",
            holder.name.as_str(),
            holder.credential,
            nonce,
        ] {
            mac.update(part.as_bytes());
            mac.update(b"\n");
        }
        mac.update(expires.as_bytes());
        mac
    }

    /// The device, when `token` is a cookie this server issued for `holder` (the name, with the
    /// password it has now) that has not expired at `now` (Unix milliseconds). Anything else
    /// (another name's cookie, one earned with an earlier password, a changed character, an
    /// expired one) is no device: the attempt is then a stranger's.
    pub fn recognise(
        &self,
        token: &DeviceToken,
        holder: Holder<'_>,
        now: i64,
    ) -> Option<KnownDevice> {
        if token.0.len() > LONGEST {
            return None;
        }
        let mut parts = token.0.split('.');
        let (Some(nonce), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        // Only the canonical spelling: one cookie, one text, one row of failures.
        let nonce_bytes = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let expires_at: u64 = expires.parse().ok()?;
        if nonce_bytes.len() != NONCE_BYTES || expires_at.to_string() != expires {
            return None;
        }
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        self.mac(holder, nonce, expires).verify_slice(&mac).ok()?;
        let now_seconds = u64::try_from(now / 1_000).unwrap_or(0);
        (expires_at > now_seconds).then(|| KnownDevice {
            nonce: nonce.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000_000;

    fn key() -> DeviceKey {
        DeviceKey::new(&SessionKey::from_secret("example secret"))
    }

    fn name(text: &str) -> UserName {
        UserName::parse(text).expect("a user name")
    }

    const CREDENTIAL: &str = "$argon2id$example";

    fn holder(name: &UserName) -> Holder<'_> {
        Holder {
            name,
            credential: CREDENTIAL,
        }
    }

    #[test]
    fn the_worked_example_in_the_module_documentation_holds() {
        let nonce: [u8; 16] = std::array::from_fn(|i| i as u8);
        let cookie = key().cookie(holder(&name("ada")), nonce, 1_767_225_600);
        assert_eq!(
            cookie.0,
            "AAECAwQFBgcICQoLDA0ODw.1767225600.X6U2YC3uaTxzRjwp8YRjS2YdravsNQq2cOR7NZHm3ro"
        );
        let known = key()
            .recognise(&cookie, holder(&name("ADA")), 1_767_225_599_000)
            .expect("recognised, however the name is typed");
        assert_eq!(known.id(), "AAECAwQFBgcICQoLDA0ODw");
    }

    #[test]
    fn a_new_cookie_is_recognised_for_its_name_for_a_year() {
        let cookie = key().issue(holder(&name("ada")), NOW).expect("randomness");
        assert!(key()
            .recognise(&cookie, holder(&name("ada")), NOW)
            .is_some());
        let year = i64::try_from(CookiePolicy::DEVICE_MAX_AGE_SECONDS).expect("fits") * 1_000;
        assert!(key()
            .recognise(&cookie, holder(&name("ada")), NOW + year - 1_000)
            .is_some());
        assert!(
            key()
                .recognise(&cookie, holder(&name("ada")), NOW + year)
                .is_none(),
            "expired"
        );
        assert_ne!(
            key().issue(holder(&name("ada")), NOW).expect("randomness"),
            cookie,
            "each sign-in makes a new one"
        );
    }

    #[test]
    fn a_cookie_is_nobody_elses() {
        let cookie = key().issue(holder(&name("ada")), NOW).expect("randomness");
        assert!(key()
            .recognise(&cookie, holder(&name("grace")), NOW)
            .is_none());
        let other_server = DeviceKey::new(&SessionKey::from_secret("another secret"));
        assert!(other_server
            .recognise(&cookie, holder(&name("ada")), NOW)
            .is_none());
        let new_password = Holder {
            name: &name("ada"),
            credential: "$argon2id$after-a-password-change",
        };
        assert!(
            key().recognise(&cookie, new_password, NOW).is_none(),
            "a cookie earned with an earlier password is a stranger's"
        );
    }

    #[test]
    fn only_the_canonical_spelling_is_recognised() {
        let nonce: [u8; 16] = std::array::from_fn(|i| i as u8);
        let ada = name("ada");
        let good = key().cookie(holder(&ada), nonce, 1_767_225_600);
        let (nonce_text, rest) = good.0.split_once('.').expect("three parts");
        let (_, mac) = rest.split_once('.').expect("three parts");
        for spelled in [
            format!("{nonce_text}.01767225600.{mac}"),
            format!("{nonce_text}.+1767225600.{mac}"),
            format!("{nonce_text}.1767225600.{mac}="),
            format!("{nonce_text}.1767225600.{mac}.x"),
            format!("{nonce_text}.1767225600"),
            String::new(),
            "x".repeat(10_000),
        ] {
            assert!(
                key()
                    .recognise(&DeviceToken(spelled.clone()), holder(&ada), NOW)
                    .is_none(),
                "{spelled:?}"
            );
        }
    }

    #[test]
    fn debug_output_shows_no_part_of_a_cookie() {
        let cookie = key().issue(holder(&name("ada")), NOW).expect("randomness");
        let known = key()
            .recognise(&cookie, holder(&name("ada")), NOW)
            .expect("known");
        assert_eq!(format!("{known:?}"), "KnownDevice(…)");
        assert_eq!(format!("{:?}", key()), "DeviceKey(…)");
    }

    proptest! {
        #[test]
        fn any_single_change_to_a_cookie_is_refused(at in 0usize..77, replacement in "[A-Za-z0-9_.-]") {
            let cookie = key().issue(holder(&name("ada")), NOW).expect("randomness");
            prop_assert_eq!(cookie.0.len(), 77);
            let mut changed = cookie.0.clone();
            changed.replace_range(at..=at, &replacement);
            prop_assume!(changed != cookie.0);
            prop_assert!(key().recognise(&DeviceToken(changed), holder(&name("ada")), NOW).is_none());
        }
    }
}
