//! Writing the audit log: the `audit!` macro every change uses to write its entry inside its own
//! transaction. (Reading it is `crate::audit_log`.)

/// Appends an audit entry inside the transaction `$tx` (works on either engine's transaction).
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $subject:expr, $detail:expr) => {{
        let (actor, action, subject, detail): (&str, app::domain::audit::AuditAction, &str, &str) =
            ($actor, $action, $subject, $detail);
        let folded = $crate::db::audit::search_text(actor, action, subject, detail);
        sqlx::query($crate::db::audit::INSERT_AUDIT)
            .bind($crate::db::now_millis())
            .bind(actor)
            .bind(action.as_str())
            .bind(subject)
            .bind(detail)
            .bind(folded)
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use audit;

/// An audit entry's row: at, actor, action, subject, detail, and the folded text it is searched by.
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) VALUES ($1, $2, $3, $4, $5, $6)";

/// What an audit entry is searched by: every part of it, folded.
pub(crate) fn search_text(
    actor: &str,
    action: app::domain::audit::AuditAction,
    subject: &str,
    detail: &str,
) -> String {
    app::domain::query::fold(&format!(
        "{actor} {} {} {subject} {detail}",
        action.as_str(),
        action.label()
    ))
}
