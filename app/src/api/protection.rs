//! Saving a flow's access protection per application (admins). Posted by the plain form on the
//! Access Protection tab. When a field is refused, a browser is sent back to the form with every
//! value it typed, so nothing is lost, and the refused fields named.

use crate::domain::application::ProtectionForm;
use crate::error::AppError;
use leptos::prelude::*;

/// The query that brings a refused form back: each application's typed values under
/// `{application}.{field}`, and `invalid={application}.{field},…`.
pub fn refill_query(forms: &[ProtectionForm], invalid: &[(String, &str)]) -> String {
    use crate::domain::query::encode_component as enc;
    let mut parts = Vec::new();
    for f in forms {
        let app = &f.application;
        parts.push(format!(
            "{}={}",
            enc(&format!("{app}.access")),
            enc(&f.access)
        ));
        parts.push(format!(
            "{}={}",
            enc(&format!("{app}.invocations")),
            enc(&f.invocations)
        ));
        parts.push(format!(
            "{}={}",
            enc(&format!("{app}.expiry_amount")),
            enc(&f.expiry_amount)
        ));
        parts.push(format!(
            "{}={}",
            enc(&format!("{app}.expiry_unit")),
            enc(&f.expiry_unit)
        ));
        parts.push(format!(
            "{}={}",
            enc(&format!("{app}.validate_params")),
            if f.validate_params.is_some() {
                "on"
            } else {
                ""
            }
        ));
    }
    let invalid: Vec<String> = invalid
        .iter()
        .map(|(app, field)| format!("{app}.{field}"))
        .collect();
    parts.push(format!("invalid={}", enc(&invalid.join(","))));
    parts.join("&")
}

#[server(endpoint = "save_access_protection")]
pub async fn save_access_protection(
    slug: String,
    apps: Option<Vec<ProtectionForm>>,
) -> Result<(), AppError> {
    use super::request::*;
    use crate::domain::query::encode_component;
    use crate::domain::Permission;
    use crate::ports::ProtectionChange;
    let result = async move {
        let (ports, user) = caller(Permission::Administer).await?;
        let flow = flow_slug(&slug)?;
        let forms = apps.unwrap_or_default();
        let page = format!("/flows/{}/access", encode_component(flow.as_str()));
        let mut changes = Vec::new();
        let mut invalid = Vec::new();
        for form in &forms {
            match form.parse() {
                Ok(protection) => changes.push(ProtectionChange {
                    application: form.application.clone(),
                    protection,
                }),
                Err(fields) => {
                    invalid.extend(fields.into_iter().map(|f| (form.application.clone(), f)))
                }
            }
        }
        if !invalid.is_empty() {
            let codes: Vec<(String, &str)> =
                invalid.iter().map(|(a, f)| (a.clone(), f.code())).collect();
            let messages: Vec<String> = invalid
                .iter()
                .map(|(a, f)| format!("{a}: {}", f.message()))
                .collect();
            return Err(FormError::Refused {
                error: AppError::invalid(messages.join(" ")),
                back_to: format!("{page}?{}", refill_query(&forms, &codes)),
            });
        }
        ports
            .applications
            .save_protections(&flow, &changes, &user)
            .await
            .map_err(AppError::from)?;
        Ok(((), format!("{page}?saved=1")))
    };
    respond(end_form(result.await))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_comes_back_with_everything_typed() {
        let form = ProtectionForm {
            application: "help-centre".into(),
            access: "protected".into(),
            invocations: "2.5".into(),
            expiry_amount: "1".into(),
            expiry_unit: "days".into(),
            validate_params: Some("on".into()),
        };
        assert_eq!(
            refill_query(&[form], &[("help-centre".into(), "invocations")]),
            "help-centre.access=protected&help-centre.invocations=2.5&help-centre.expiry_amount=1&\
             help-centre.expiry_unit=days&help-centre.validate_params=on&invalid=help-centre.invocations"
        );
    }
}
