//! The OpenAPI 3.1 document the server serves at `/openapi.json`, generated from the handlers'
//! `#[utoipa::path]` attributes and the API's own types (`wire`), so it cannot drift from what the routes
//! answer. What every route may answer besides (a rate limit, a malformed request, an unknown path; for a
//! licensee's routes a missing or foreign token) is added to each operation here once. The server's tests
//! call every route the document lists, as its licensee and as another.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder, server::Server};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::wire::ErrorBody;

/// The `{licensee}` segment of a licensee's routes.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LicenseePath {
    /// The licensee's id; it must be the token's own.
    #[allow(dead_code)]
    licensee: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tantiem",
        description = "AI licensing by a music collective management organisation: the public offer and licence \
                       verification, and the API through which licensees report and disclose what their models \
                       trained on."
    ),
    paths(
        crate::public::tdmrep,
        crate::public::policy,
        crate::public::preferences,
        crate::public::licence_page,
        crate::public::lookup,
        crate::public::keys,
        crate::public::verify,
        crate::public::licence_status,
        crate::public::openapi,
        crate::api::licensee,
        crate::api::list_reports,
        crate::api::submit,
        crate::api::report,
        crate::api::reporting_status,
        crate::api::invoices,
        crate::api::invoice,
        crate::api::licences,
        crate::disclosures::upload,
        crate::disclosures::submit,
        crate::disclosures::list,
        crate::disclosures::show,
        crate::disclosures::matches,
        crate::holders::statements,
        crate::holders::settlement,
    ),
    components(schemas(ErrorBody)),
    modifiers(&CommonAnswers),
    tags(
        (name = "offer", description = "The society's machine-readable offer and the per-work lookup: no token"),
        (name = "licences", description = "Licence certificates and the keys that sign them"),
        (name = "licensee", description = "A licensee's own record"),
        (name = "reports", description = "Service and output reports (docs/reports.md)"),
        (name = "invoices", description = "Invoices and credit notes (docs/tariffs.md)"),
        (name = "disclosures", description = "Training disclosures and their matches (docs/disclosures.md)"),
        (name = "distribution", description = "Members' statements and sister societies' settlements (docs/distribution.md)"),
    )
)]
struct ApiDoc;

/// The answers every operation may give besides its own, and the bearer scheme of licensees' routes.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (tnt_…) created by the society: a licensee's (`tantiem licensee token`), a \
                         member's (`tantiem member token`) or a sister society's (`tantiem society token`)",
                    ))
                    .build(),
            ),
        );
        let schema = ErrorBody::name();
        components.responses.insert(
            "Error".into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("What was wrong and what to do")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(schema))))
                            .build(),
                    )
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let licensee_route = path.contains("{licensee}");
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                let mut common = vec!["400", "404", "429"];
                if licensee_route {
                    common.extend(["401", "403"]);
                }
                for status in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name("Error")));
                }
            }
        }
    }
}

/// The document, with `base_url` as its server.
pub fn document(base_url: &str) -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![Server::new(base_url)]);
    serde_json::to_value(&doc).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::document;

    /// Every `$ref` in `value`, as its path in the document (`components/schemas/Report`).
    fn references(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v.as_str()) {
                        ("$ref", Some(target)) => out.push(target.trim_start_matches("#/").to_owned()),
                        _ => references(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_every_operation_says_how_it_fails() {
        let doc = document("https://ai.example.org");
        assert_eq!(doc["servers"][0]["url"], "https://ai.example.org");
        let mut refs = Vec::new();
        references(&doc, &mut refs);
        assert!(refs.iter().any(|r| r == "components/schemas/Report"), "the wire types are the schemas");
        for target in &refs {
            let found = target.split('/').try_fold(&doc, |node, part| node.get(part));
            assert!(found.is_some(), "{target} is referenced but not in the document");
        }
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 22, "{:?}", paths.keys().collect::<Vec<_>>());
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                assert!(responses.contains_key("429"), "{method} {path} says nothing of the rate limit");
                let own = responses.keys().any(|s| s.starts_with('2'));
                assert!(own, "{method} {path} has no success answer");
                if path.contains("{licensee}") {
                    assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
                    assert_eq!(operation["security"][0]["token"], serde_json::json!([]), "{method} {path}");
                }
            }
        }
    }
}
