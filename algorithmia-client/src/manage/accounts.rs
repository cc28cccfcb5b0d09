//! Users and organisations: who they are, their members, their error logs.

use super::create::check_owner;
use super::model::account::{OrgInfo, OrgMember, UserInfo};
use super::model::algorithm::AlgorithmErrorLog;
use super::model::list::AnyList;
use super::paging::PagedQuery;
use crate::client::Client;
use crate::error::Result;

impl Client {
    /// A user (`GET /v1/users/{name}`).
    pub async fn user(&self, name: &str) -> Result<UserInfo> {
        check_owner(name)?;
        self.manage_get(self.url(["v1", "users", name]), "user")
            .await
    }

    /// An organisation (`GET /v1/organizations/{name}`).
    pub async fn organization(&self, name: &str) -> Result<OrgInfo> {
        check_owner(name)?;
        self.manage_get(self.url(["v1", "organizations", name]), "organization")
            .await
    }

    /// An organisation's members, page by page.
    pub fn organization_members(&self, name: &str) -> PagedQuery<OrgMember> {
        let url = check_owner(name).map(|()| self.url(["v1", "organizations", name, "members"]));
        PagedQuery::new(self.clone(), url, "member list")
    }

    /// Failed calls of a user's algorithms (`GET /v1/users/{user}/errors`).
    pub async fn user_errors(&self, user: &str) -> Result<Vec<AlgorithmErrorLog>> {
        check_owner(user)?;
        let list: AnyList<AlgorithmErrorLog> = self
            .manage_get(self.url(["v1", "users", user, "errors"]), "error log")
            .await?;
        Ok(list.0)
    }
}
