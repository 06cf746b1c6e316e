//! The values of a person's profile, validated: user names, names, bio, links and
//! preferences. Raw input becomes these through `parse`; the event carries the plain form.

use url::Url;
use wayfarer_schemas::{Category, NotificationSettings, Privacy, SocialLinks, TravelPreferences};

use crate::values::{check_text, Lines, ValueError};

/// Longest first or last name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest bio, in characters.
pub const BIO_MAX_CHARS: usize = 500;
/// Longest URL, in bytes.
pub const URL_MAX_BYTES: usize = 2048;
/// Most interests one person lists.
pub const MAX_INTERESTS: usize = 20;
/// Longest interest tag, in characters.
pub const INTEREST_MAX_CHARS: usize = 32;

/// Why a profile value was refused. Each names the field to fix; all are validation errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("userName must have 3 to 32 letters, digits, '_', '.' or '-'")]
    InvalidUserName,
    #[error("{field} must be at most {NAME_MAX_CHARS} characters long")]
    NameTooLong { field: &'static str },
    #[error("bio must be at most {BIO_MAX_CHARS} characters long")]
    BioTooLong,
    #[error("{field} must be an https link to {site}")]
    InvalidSocialLink {
        field: &'static str,
        site: &'static str,
    },
    #[error("profilePicUrl must be an http or https URL of at most {URL_MAX_BYTES} bytes")]
    InvalidPictureUrl,
    #[error("at most {MAX_INTERESTS} interests")]
    TooManyInterests,
    #[error("each interest must have 1 to {INTEREST_MAX_CHARS} lower-case letters, digits or '-'")]
    InvalidInterest,
    #[error(transparent)]
    Text(#[from] ValueError),
}

/// A person's handle: 3 to 32 letters, digits, `_`, `.` or `-`, unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(input: &str) -> Result<Self, ProfileError> {
        let name = input.trim();
        let valid = (3..=32).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-');
        if !valid {
            return Err(ProfileError::InvalidUserName);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An optional one-line name: blank clears it.
pub fn parse_name(input: &str, field: &'static str) -> Result<Option<String>, ProfileError> {
    let name = input.trim();
    check_text(name, Lines::Single, field)?;
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(ProfileError::NameTooLong { field });
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// An optional multi-line bio: blank clears it.
pub fn parse_bio(input: &str) -> Result<Option<String>, ProfileError> {
    let bio = input.trim();
    check_text(bio, Lines::Multi, "bio")?;
    if bio.chars().count() > BIO_MAX_CHARS {
        return Err(ProfileError::BioTooLong);
    }
    Ok((!bio.is_empty()).then(|| bio.to_owned()))
}

/// An optional picture URL (http or https): blank clears it.
pub fn parse_picture_url(input: &str) -> Result<Option<String>, ProfileError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let url = Url::parse(text).map_err(|_| ProfileError::InvalidPictureUrl)?;
    if text.len() > URL_MAX_BYTES
        || !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
    {
        return Err(ProfileError::InvalidPictureUrl);
    }
    Ok(Some(url.to_string()))
}

/// The sites a social link may point at, and the hosts each answers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocialSite {
    Facebook,
    Instagram,
    Twitter,
    Github,
}

impl SocialSite {
    fn field(self) -> &'static str {
        match self {
            SocialSite::Facebook => "facebookProfileLink",
            SocialSite::Instagram => "instagramProfileLink",
            SocialSite::Twitter => "twitterProfileLink",
            SocialSite::Github => "githubProfileLink",
        }
    }

    fn site(self) -> &'static str {
        match self {
            SocialSite::Facebook => "facebook.com",
            SocialSite::Instagram => "instagram.com",
            SocialSite::Twitter => "twitter.com or x.com",
            SocialSite::Github => "github.com",
        }
    }

    fn accepts(self, host: &str) -> bool {
        let host = host.strip_prefix("www.").unwrap_or(host);
        match self {
            SocialSite::Facebook => matches!(host, "facebook.com" | "m.facebook.com"),
            SocialSite::Instagram => host == "instagram.com",
            SocialSite::Twitter => matches!(host, "twitter.com" | "x.com"),
            SocialSite::Github => host == "github.com",
        }
    }
}

/// An optional link to a profile on `site`: an https URL on one of its hosts with a path
/// naming the profile. Blank clears it.
pub fn parse_social_link(input: &str, site: SocialSite) -> Result<Option<String>, ProfileError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let invalid = || ProfileError::InvalidSocialLink {
        field: site.field(),
        site: site.site(),
    };
    let url = Url::parse(text).map_err(|_| invalid())?;
    let valid = text.len() <= URL_MAX_BYTES
        && url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && url.host_str().is_some_and(|host| site.accepts(host))
        && !url.path().trim_matches('/').is_empty();
    if !valid {
        return Err(invalid());
    }
    Ok(Some(url.to_string()))
}

/// Changes to social links: a field left out keeps its link; a blank one clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialLinksPatch {
    pub facebook: Option<String>,
    pub instagram: Option<String>,
    pub twitter: Option<String>,
    pub github: Option<String>,
}

impl SocialLinksPatch {
    pub fn apply_to(&self, links: &SocialLinks) -> Result<SocialLinks, ProfileError> {
        let pick = |patch: &Option<String>, current: &Option<String>, site| match patch {
            Some(text) => parse_social_link(text, site),
            None => Ok(current.clone()),
        };
        Ok(SocialLinks {
            facebook: pick(&self.facebook, &links.facebook, SocialSite::Facebook)?,
            instagram: pick(&self.instagram, &links.instagram, SocialSite::Instagram)?,
            twitter: pick(&self.twitter, &links.twitter, SocialSite::Twitter)?,
            github: pick(&self.github, &links.github, SocialSite::Github)?,
        })
    }
}

/// Travel preferences with interests normalised: trimmed, lower case, duplicates dropped.
pub fn parse_travel_preferences(
    mut preferences: TravelPreferences,
) -> Result<TravelPreferences, ProfileError> {
    let mut interests: Vec<String> = Vec::new();
    for interest in &preferences.interests {
        let tag = interest.trim().to_lowercase();
        let valid = (1..=INTEREST_MAX_CHARS).contains(&tag.chars().count())
            && tag.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !valid {
            return Err(ProfileError::InvalidInterest);
        }
        if !interests.contains(&tag) {
            interests.push(tag);
        }
    }
    if interests.len() > MAX_INTERESTS {
        return Err(ProfileError::TooManyInterests);
    }
    let mut categories: Vec<Category> = Vec::new();
    for category in preferences.preferred_categories {
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    preferences.interests = interests;
    preferences.preferred_categories = categories;
    Ok(preferences)
}

/// Changes to a profile, as `updateUser` sends them: a field left out keeps its value; a
/// blank text clears an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    pub user_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub profile_pic_url: Option<String>,
    pub social_links: SocialLinksPatch,
    pub travel_preferences: Option<TravelPreferences>,
    pub notification_settings: Option<NotificationSettings>,
    pub privacy: Option<Privacy>,
}

impl ProfilePatch {
    /// The new user name, if the patch sets one.
    pub fn user_name(&self) -> Result<Option<UserName>, ProfileError> {
        self.user_name.as_deref().map(UserName::parse).transpose()
    }

    /// `profile` with the patch applied, every changed field validated.
    pub fn apply_to(
        &self,
        profile: &wayfarer_schemas::UserProfile,
    ) -> Result<wayfarer_schemas::UserProfile, ProfileError> {
        fn keep_or<T: Clone>(
            patch: &Option<String>,
            current: &Option<T>,
            parse: impl FnOnce(&str) -> Result<Option<T>, ProfileError>,
        ) -> Result<Option<T>, ProfileError> {
            match patch {
                Some(text) => parse(text),
                None => Ok(current.clone()),
            }
        }
        let personal = &profile.personal;
        Ok(wayfarer_schemas::UserProfile {
            personal: wayfarer_schemas::PersonalDetails {
                first_name: keep_or(&self.first_name, &personal.first_name, |t| {
                    parse_name(t, "firstName")
                })?,
                last_name: keep_or(&self.last_name, &personal.last_name, |t| {
                    parse_name(t, "lastName")
                })?,
                bio: keep_or(&self.bio, &personal.bio, parse_bio)?,
                profile_pic_url: keep_or(
                    &self.profile_pic_url,
                    &personal.profile_pic_url,
                    parse_picture_url,
                )?,
                social_links: self.social_links.apply_to(&personal.social_links)?,
            },
            travel_preferences: match &self.travel_preferences {
                Some(preferences) => parse_travel_preferences(preferences.clone())?,
                None => profile.travel_preferences.clone(),
            },
            notification_settings: self
                .notification_settings
                .clone()
                .unwrap_or_else(|| profile.notification_settings.clone()),
            privacy: self.privacy.unwrap_or(profile.privacy),
        })
    }
}
