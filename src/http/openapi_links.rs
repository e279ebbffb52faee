//! OpenAPI links from each create to the operations on what it created, so a
//! client (and schemathesis' stateful phase) can follow a `201` to its reads.
//!
//! Derived from the routes, not written per handler:
//! - a `POST` to `P` whose success body has a required `id` links to every
//!   operation on `P/{x}` and `P/{x}/…` (`x` the one new path parameter), with
//!   `x = $response.body#/id` and `P`'s own parameters passed on from the request;
//! - a required, non-null `<thing>_id` property of that body (e.g. `invoice_id`)
//!   links to `GET /v1/<thing>s/{id}` when that route exists (`_` read as `-`).
//!
//! Links name their target by `operationRef` (a JSON pointer into `paths`), since
//! operation ids repeat across tags (`list`, `get`).

use serde_json::{json, Map, Value};

/// Adds the links to `doc` (the serialised document) in place.
pub fn add_links(doc: &mut Value) {
    let paths: Vec<String> = doc["paths"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut additions: Vec<(String, String, String, Map<String, Value>)> = Vec::new();
    for source in &paths {
        let Some(op) = doc["paths"][source].get("post") else {
            continue;
        };
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            if !matches!(status.as_str(), "200" | "201") {
                continue;
            }
            let Some(body) = body_schema(doc, response) else {
                continue;
            };
            let mut links = Map::new();
            if has_required_id(&body, "id") {
                for target in &paths {
                    if let Some(param) = new_parameter(source, target) {
                        for method in ["get", "post"] {
                            if doc["paths"][target].get(method).is_some() {
                                links.insert(
                                    link_name(method, target),
                                    link(source, target, method, &param, "id"),
                                );
                            }
                        }
                    }
                }
            }
            for (prop, _) in body["properties"].as_object().into_iter().flatten() {
                let Some(thing) = prop.strip_suffix("_id") else {
                    continue;
                };
                let target = format!("/v1/{}s/{{id}}", thing.replace('_', "-"));
                if prop != "id"
                    && has_required_id(&body, prop)
                    && doc["paths"]
                        .get(&target)
                        .and_then(|t| t.get("get"))
                        .is_some()
                {
                    let mut l = json!({
                        "operationRef": operation_ref(&target, "get"),
                        "parameters": {"id": format!("$response.body#/{prop}")},
                    });
                    l["description"] = json!(format!("The `{prop}` of the created object"));
                    links.insert(link_name("get", &target), l);
                }
            }
            if !links.is_empty() {
                additions.push((source.clone(), "post".into(), status.clone(), links));
            }
        }
    }
    for (path, method, status, links) in additions {
        let response = &mut doc["paths"][&path][&method]["responses"][&status];
        if let Some(r) = response.as_object_mut() {
            r.insert("links".into(), Value::Object(links));
        }
    }
}

/// The JSON body schema of a response, `$ref`s into components resolved.
fn body_schema(doc: &Value, response: &Value) -> Option<Value> {
    let schema = &response["content"]["application/json"]["schema"];
    resolve(doc, schema)
}

/// `schema` with `$ref`s followed and an `allOf` merged into one object
/// (properties and required names of every part).
fn resolve(doc: &Value, schema: &Value) -> Option<Value> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/")?;
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    let parts = match schema.get("allOf").and_then(Value::as_array) {
        Some(parts) => parts.iter().filter_map(|p| resolve(doc, p)).collect(),
        None if schema.is_object() => vec![schema.clone()],
        None => return None,
    };
    let (mut properties, mut required) = (Map::new(), Vec::new());
    for part in parts {
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
        if let Some(r) = part["required"].as_array() {
            required.extend(r.iter().cloned());
        }
    }
    Some(json!({"type": "object", "properties": properties, "required": required}))
}

/// Whether `prop` is a required property of `body` that cannot be null.
fn has_required_id(body: &Value, prop: &str) -> bool {
    let required = body["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|p| p == prop));
    let nullable = match &body["properties"][prop]["type"] {
        Value::Array(types) => types.iter().any(|t| t == "null"),
        _ => body["properties"][prop].get("oneOf").is_some(),
    };
    required && !nullable
}

/// The one path parameter `target` adds to `source`, when `target` is
/// `source/{x}` or `source/{x}/…` with no other parameter after it.
fn new_parameter(source: &str, target: &str) -> Option<String> {
    let rest = target.strip_prefix(source)?.strip_prefix("/{")?;
    let (name, tail) = rest.split_once('}')?;
    (!tail.contains('{') && (tail.is_empty() || tail.starts_with('/'))).then(|| name.to_owned())
}

fn operation_ref(path: &str, method: &str) -> String {
    format!(
        "#/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    )
}

fn link_name(method: &str, path: &str) -> String {
    let words: String = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "v1")
        .collect::<Vec<_>>()
        .join("_");
    format!("{method}_{words}")
}

fn link(source: &str, target: &str, method: &str, param: &str, field: &str) -> Value {
    let mut parameters = Map::new();
    parameters.insert(param.to_owned(), json!(format!("$response.body#/{field}")));
    // The source's own path parameters carry over unchanged.
    for seg in source.split('/') {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            parameters.insert(name.to_owned(), json!(format!("$request.path.{name}")));
        }
    }
    json!({
        "operationRef": operation_ref(target, method),
        "parameters": parameters,
        "description": format!("`{param}` is the `{field}` of the created object"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_parameter_is_the_one_after_the_collection() {
        assert_eq!(
            new_parameter("/v1/providers", "/v1/providers/{id}").as_deref(),
            Some("id")
        );
        assert_eq!(
            new_parameter("/v1/providers", "/v1/providers/{id}/clients").as_deref(),
            Some("id")
        );
        assert_eq!(new_parameter("/v1/providers", "/v1/providers"), None);
        assert_eq!(new_parameter("/v1/exam", "/v1/exam-orders/{id}"), None);
        assert_eq!(new_parameter("/v1/a", "/v1/a/{id}/b/{c}"), None);
    }

    #[test]
    fn creates_link_to_their_reads() {
        let doc = super::super::openapi::serialised(&super::super::openapi::document());
        let links = &doc["paths"]["/v1/providers"]["post"]["responses"]["201"]["links"];
        assert_eq!(
            links["get_providers_id"]["operationRef"],
            "#/paths/~1v1~1providers~1{id}/get"
        );
        assert_eq!(
            links["get_providers_id"]["parameters"]["id"],
            "$response.body#/id"
        );
        assert!(links["post_providers_id_clients"].is_object());
    }
}
