//! What a recipient's page asks the server for after it was opened: counting a start. Opening a
//! link is not a server function: the public page's handler checks the link once and hands the
//! result to the render (see `server::http::player`).

use crate::domain::link::LinkRefusal;
use crate::error::AppError;
use leptos::prelude::*;

/// Counts a recipient starting the flow: the player calls this when they act on its first step,
/// so link previews and mail scanners that only fetch the page never use up a link.
/// `path` and `query` are the page's own location; anything but a link's canonical address is
/// "not valid".
#[server(endpoint = "start_flow")]
pub async fn start_flow(path: String, query: String) -> Result<Result<(), LinkRefusal>, AppError> {
    use super::request::*;
    use crate::domain::link::LinkAddress;
    use crate::ports::StartError;
    respond(
        async move {
            let ports = ports()?;
            let Ok(address) = LinkAddress::parse(&path, query.strip_prefix('?').unwrap_or(&query))
            else {
                return Ok(Err(LinkRefusal::NotValid));
            };
            ports.limits.run_start_from(client_ip())?;
            match ports.links.start(address, &*ports.limits).await {
                Ok(()) => Ok(Ok(())),
                Err(StartError::Refused(refusal)) => Ok(Err(refusal)),
                Err(StartError::Limited(limited)) => Err(limited.into()),
                Err(StartError::Backend(err)) => Err(err.into()),
            }
        }
        .await,
    )
}
