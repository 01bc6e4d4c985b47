//! The instances and the organization's settings around them: every instance `ListInstances`
//! returns (account instances too), the audited instance's status, encryption and Regions,
//! Organizations delegated administrators of Identity Center and IAM, and IAM centralized root
//! access features. Each part that cannot be read is a gap of its own area.

use super::Scan;
use super::calls::Service;
use crate::snapshot::{DelegatedAdministrator, Instance, InstanceRegion, Settings};
use crate::vocabulary::DataArea;

/// The service principals whose delegated administrators are read.
const DELEGATED_SERVICES: [&str; 2] = ["sso.amazonaws.com", "iam.amazonaws.com"];

pub async fn collect(
    scan: &Scan,
    sso: &aws_sdk_ssoadmin::Client,
    organizations: &aws_sdk_organizations::Client,
    iam: &aws_sdk_iam::Client,
    mut instances: Vec<Instance>,
    audited: &str,
) -> Settings {
    let audited = instances.iter_mut().find(|i| i.arn == audited);
    let (_, delegated, features) = tokio::join!(
        async {
            if let Some(instance) = audited {
                describe(scan, sso, instance).await;
            }
        },
        delegated_administrators(scan, organizations),
        organization_features(scan, iam),
    );
    Settings {
        instances,
        delegated_administrators: delegated,
        organization_features: features,
    }
}

/// Adds the audited instance's status, encryption and Regions to what `ListInstances` gave.
async fn describe(scan: &Scan, client: &aws_sdk_ssoadmin::Client, instance: &mut Instance) {
    const SERVICE: Service = Service::SsoAdmin;
    let arn = instance.arn.clone();
    match scan
        .caller
        .call(SERVICE, "DescribeInstance", || {
            client.describe_instance().instance_arn(&arn).send()
        })
        .await
    {
        Ok(output) => {
            if let Some(status) = output.status() {
                instance.status = Some(status.as_str().to_string());
            }
            if let Some(encryption) = output.encryption_configuration_details() {
                instance.encryption_key_type =
                    encryption.key_type().map(|k| k.as_str().to_string());
                instance.kms_key_arn = encryption.kms_key_arn().map(str::to_string);
            }
        }
        Err(error) => scan.gap(
            DataArea::Instances,
            SERVICE,
            "DescribeInstance",
            &arn,
            &error,
        ),
    }
    let regions = &mut instance.regions;
    paged!(
        scan,
        "ListRegions",
        DataArea::Instances,
        &arn,
        |token| client
            .list_regions()
            .instance_arn(&arn)
            .max_results(100)
            .set_next_token(token.clone())
            .send(),
        |output| regions.extend(output.regions().iter().filter_map(|r| {
            Some(InstanceRegion {
                region: r.region_name()?.to_string(),
                primary: r.is_primary_region(),
                status: r.status().map(|s| s.as_str().to_string()),
            })
        }))
    );
}

async fn delegated_administrators(
    scan: &Scan,
    client: &aws_sdk_organizations::Client,
) -> Vec<DelegatedAdministrator> {
    const SERVICE: Service = Service::Organizations;
    let mut found = Vec::new();
    for principal in DELEGATED_SERVICES {
        paged!(
            scan,
            "ListDelegatedAdministrators",
            DataArea::Delegation,
            principal,
            |token| client
                .list_delegated_administrators()
                .service_principal(principal)
                .max_results(20)
                .set_next_token(token.clone())
                .send(),
            |output| found.extend(output.delegated_administrators().iter().filter_map(|d| {
                Some(DelegatedAdministrator {
                    account_id: d.id()?.to_string(),
                    service_principal: principal.to_string(),
                })
            }))
        );
    }
    found
}

async fn organization_features(scan: &Scan, client: &aws_sdk_iam::Client) -> Option<Vec<String>> {
    const SERVICE: Service = Service::Iam;
    match scan
        .caller
        .call(SERVICE, "ListOrganizationsFeatures", || {
            client.list_organizations_features().send()
        })
        .await
    {
        Ok(output) => Some(
            output
                .enabled_features()
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
        ),
        Err(error) => {
            scan.gap(
                DataArea::OrganizationFeatures,
                SERVICE,
                "ListOrganizationsFeatures",
                "",
                &error,
            );
            None
        }
    }
}
