//! The instance's applications (`ListApplications`) and the users and groups assigned to each
//! (`ListApplicationAssignments`): access that is not an account assignment.

use super::Scan;
use super::calls::{CallError, Service};
use crate::snapshot::{Application, ApplicationAssignment, PrincipalType};
use crate::vocabulary::DataArea;
use aws_sdk_ssoadmin::Client;
use aws_sdk_ssoadmin::types::PrincipalType as SdkPrincipalType;

const SERVICE: Service = Service::SsoAdmin;
const PAGE: i32 = 100;

pub async fn collect(scan: &Scan, client: &Client, instance: &str) -> Vec<Application> {
    let mut applications = Vec::new();
    paged!(
        scan,
        "ListApplications",
        DataArea::Applications,
        instance,
        |token| client
            .list_applications()
            .instance_arn(instance)
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send(),
        |output| applications.extend(output.applications().iter().filter_map(|a| {
            Some(Application {
                arn: a.application_arn()?.to_string(),
                name: a.name().unwrap_or_default().to_string(),
                status: a.status().map(|s| s.as_str().to_string()),
                provider_arn: a.application_provider_arn().map(str::to_string),
                assignments: Vec::new(),
            })
        }))
    );
    for application in &mut applications {
        let arn = application.arn.clone();
        let assignments = &mut application.assignments;
        // A principal type this version cannot read: access missing, so a gap.
        let mut unreadable = 0;
        paged!(
            scan,
            "ListApplicationAssignments",
            DataArea::Applications,
            &arn,
            |token| client
                .list_application_assignments()
                .application_arn(&arn)
                .max_results(PAGE)
                .set_next_token(token.clone())
                .send(),
            |output| assignments.extend(output.application_assignments().iter().filter_map(|a| {
                let principal_type = match a.principal_type() {
                    SdkPrincipalType::Group => PrincipalType::Group,
                    SdkPrincipalType::User => PrincipalType::User,
                    _ => {
                        unreadable += 1;
                        return None;
                    }
                };
                Some(ApplicationAssignment {
                    principal_type,
                    principal_id: a.principal_id().to_string(),
                })
            }))
        );
        if unreadable > 0 {
            scan.gap(
                DataArea::Applications,
                SERVICE,
                "ListApplicationAssignments",
                &arn,
                &CallError::Failed(format!(
                    "{unreadable} assignment(s) to a principal type this version cannot read: the access they grant is not in the snapshot"
                )),
            );
        }
    }
    applications
}
