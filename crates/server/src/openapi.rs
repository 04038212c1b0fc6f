//! The OpenAPI 3.1 document the server serves at `/openapi.json`. Written by hand, next to the routes;
//! the server's tests check that every route here answers and that every licensee route refuses another
//! licensee's token.

use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
        "400": { "$ref": "#/components/responses/Error" },
        "404": { "$ref": "#/components/responses/Error" },
        "429": { "$ref": "#/components/responses/Error" }
    })
}

fn licensee_operation(summary: &str, extra_params: &[&str]) -> Value {
    let mut params = vec![json!({ "$ref": "#/components/parameters/licensee" })];
    for p in extra_params {
        params.push(json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }));
    }
    let mut responses = error_responses();
    responses["200"] = json!({ "description": "OK", "content": { "application/json": {} } });
    responses["401"] = json!({ "$ref": "#/components/responses/Error" });
    responses["403"] = json!({ "$ref": "#/components/responses/Error" });
    responses["429"] = json!({ "$ref": "#/components/responses/Error" });
    json!({ "summary": summary, "security": [{ "token": [] }], "parameters": params, "responses": responses })
}

fn public_operation(summary: &str, content_type: &str) -> Value {
    let mut responses = error_responses();
    responses["200"] = json!({ "description": "OK", "content": { content_type: {} } });
    json!({ "summary": summary, "responses": responses })
}

/// The document, with `base_url` as its server.
pub fn document(base_url: &str) -> Value {
    let mut submit =
        licensee_operation("Submit a service report, output report or DSR file (the body is the file)", &[]);
    submit["requestBody"] = json!({
        "required": true,
        "description": "The report file exactly as written: tantiem-service-report/1 JSON, tantiem-output-report/1 JSON Lines, their CSV forms, or a DDEX DSR flat file. See docs/reports.md.",
        "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }
    });
    submit["responses"]["201"] = json!({ "description": "A new report or a correction was stored" });
    submit["responses"]["200"] = json!({ "description": "The same file was received before: nothing changed" });
    submit["responses"]["413"] = json!({ "$ref": "#/components/responses/Error" });
    submit["responses"]["422"] = json!({ "$ref": "#/components/responses/Error" });
    submit["responses"]["415"] = json!({ "$ref": "#/components/responses/Error" });
    submit["responses"]["409"] = json!({ "$ref": "#/components/responses/Error" });
    let mut invoice = licensee_operation("One invoice or credit note", &["number"]);
    if let Some(p) = invoice["parameters"].as_array_mut() {
        p.push(
            json!({ "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv", "html"] } }),
        );
    }
    invoice["responses"]["200"] = json!({
        "description": "The invoice in the format asked for (JSON by default)",
        "content": { "application/json": {}, "text/csv": {}, "text/html": {} }
    });
    let mut upload =
        licensee_operation("Upload one disclosure file (the body is the file); name it in a disclosure", &[]);
    upload["requestBody"] = json!({
        "required": true,
        "description": "A training manifest (CSV, JSON Lines, Parquet), an AI Act summary (tantiem-ai-act-summary/1 JSON) or Croissant metadata, exactly as written. See docs/disclosures.md.",
        "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }
    });
    upload["responses"]["201"] = json!({ "description": "Kept: its SHA-256, size and kind" });
    upload["responses"]["200"] = json!({ "description": "The same bytes were uploaded before" });
    upload["responses"]["413"] = json!({ "$ref": "#/components/responses/Error" });
    upload["responses"]["415"] = json!({ "$ref": "#/components/responses/Error" });
    let mut disclose = licensee_operation(
        "Submit a model version's disclosure of uploaded files: validated now, matched and assessed in the background",
        &[],
    );
    disclose["requestBody"] = json!({
        "required": true,
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["model_version", "files"],
            "properties": {
                "model_version": { "type": "string" },
                "files": { "type": "array", "items": { "type": "object", "required": ["sha256"], "properties": { "sha256": { "type": "string" }, "name": { "type": "string" } } } },
                "declared_items": { "type": "integer" },
                "declared_hours": { "type": "string", "description": "A decimal with at most three decimals" },
                "replace": { "type": "boolean", "description": "This revision replaces the one in force although it lacks a kind of file that one had (otherwise refused with 409 drops-files)" }
            }
        } } }
    });
    disclose["responses"]["202"] =
        json!({ "description": "A new disclosure: follow `status` for its matching and verdict" });
    disclose["responses"]["200"] =
        json!({ "description": "The same files and totals were received before: nothing changed" });
    disclose["responses"]["422"] = json!({ "$ref": "#/components/responses/Error" });
    disclose["responses"]["409"] = json!({ "$ref": "#/components/responses/Error" });
    let mut matches = licensee_operation("A disclosure's items as matched (latest match set)", &["disclosure"]);
    if let Some(p) = matches["parameters"].as_array_mut() {
        p.push(json!({ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["matched", "ambiguous", "unmatched"] } }));
        p.push(json!({ "name": "after", "in": "query", "schema": { "type": "integer" } }));
        p.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": 1000 } }));
    }
    let mut verify =
        public_operation("Verify a licence certificate and its agreement's standing today", "application/json");
    verify["requestBody"] = json!({ "required": true, "content": { "application/json": {} } });
    let mut lookup =
        public_operation("Per-work lookup: per stage, how much of a work the AI licence includes", "application/json");
    lookup["parameters"] = json!([{ "name": "id", "in": "query", "required": true, "description": "An ISWC or an ISRC", "schema": { "type": "string" } }]);
    let mut licence = public_operation("A licence certificate by id, with its standing today", "application/json");
    licence["parameters"] = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tantiem",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "AI licensing by a music collective management organisation: the public offer and licence verification, and the API through which licensees report and disclose what their models trained on."
        },
        "servers": [{ "url": base_url }],
        "paths": {
            "/.well-known/tdmrep.json": { "get": public_operation("TDMRep reservation file", "application/json") },
            "/ai/policy.json": { "get": public_operation("The TDM Policy: an ODRL offer in the TDMRep profile", "application/ld+json") },
            "/ai/preferences.txt": { "get": public_operation("AI preferences (train-ai=n where reserved)", "text/plain") },
            "/ai/licence": { "get": public_operation("How to obtain the licence", "text/html") },
            "/api/v1/works/lookup": { "get": lookup },
            "/api/v1/licences/keys": { "get": public_operation("The society's public keys, current and retired", "application/json") },
            "/api/v1/licences/verify": { "post": verify },
            "/api/v1/licences/{id}": { "get": licence },
            "/openapi.json": { "get": public_operation("This document", "application/json") },
            "/api/v1/licensees/{licensee}": { "get": licensee_operation("The licensee, its services, model versions and agreement", &[]) },
            "/api/v1/licensees/{licensee}/reports": {
                "get": licensee_operation("The licensee's reports with every revision", &[]),
                "post": submit
            },
            "/api/v1/licensees/{licensee}/reports/{report_id}": { "get": licensee_operation("One report's revisions", &["report_id"]) },
            "/api/v1/licensees/{licensee}/reporting-status": { "get": licensee_operation("Each period's due reports: received, late, missing or open", &[]) },
            "/api/v1/licensees/{licensee}/invoices": { "get": licensee_operation("The licensee's invoices and credit notes", &[]) },
            "/api/v1/licensees/{licensee}/invoices/{number}": { "get": invoice },
            "/api/v1/licensees/{licensee}/licences": { "get": licensee_operation("The licensee's licence certificates", &[]) },
            "/api/v1/licensees/{licensee}/disclosure-files": { "post": upload },
            "/api/v1/licensees/{licensee}/disclosures": {
                "get": licensee_operation("The licensee's disclosures, every revision", &[]),
                "post": disclose
            },
            "/api/v1/licensees/{licensee}/disclosures/{disclosure}": { "get": licensee_operation("One disclosure: files, statistics, latest match set and assessment; status `matching`, `assessed`, `failed` (with `error`) or `interrupted` (submit it again to finish)", &["disclosure"]) },
            "/api/v1/licensees/{licensee}/disclosures/{disclosure}/matches": { "get": matches }
        },
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer", "description": "A licensee's API token (tnt_…), created by the society with `tantiem licensee token`" } },
            "parameters": { "licensee": { "name": "licensee", "in": "path", "required": true, "description": "The licensee's id; must be the token's own", "schema": { "type": "string" } } },
            "responses": {
                "Error": {
                    "description": "What was wrong and what to do",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["error", "detail"],
                        "properties": {
                            "error": { "type": "string" },
                            "detail": { "type": "string" },
                            "diagnostics": { "type": "array", "items": { "type": "object" } }
                        }
                    } } }
                }
            }
        }
    })
}
