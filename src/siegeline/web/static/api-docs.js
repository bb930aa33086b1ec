// The API reference page: /openapi.json rendered with plain DOM calls (no CDN, no framework).
"use strict";

const el = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};

function refName(ref) {
  return ref.split("/").pop();
}

// A short description of a JSON schema: type, enum, bounds, references to named schemas.
function schemaText(schema) {
  if (!schema) return "";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.anyOf || schema.oneOf) return (schema.anyOf || schema.oneOf).map(schemaText).join(" | ");
  if (schema.allOf) return schema.allOf.map(schemaText).join(" & ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  let text = schema.type || "any";
  if (schema.type === "array") text = `array of ${schemaText(schema.items)}`;
  const bounds = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.maxLength !== undefined) bounds.push(`at most ${schema.maxLength} characters`);
  if (schema.maxItems !== undefined) bounds.push(`at most ${schema.maxItems} items`);
  if (bounds.length) text += ` (${bounds.join(", ")})`;
  return text;
}

function table(headers, rows) {
  const t = el("table");
  const head = t.insertRow();
  for (const h of headers) head.appendChild(el("th", h));
  for (const row of rows) {
    const tr = t.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return t;
}

function operation(path, method, op) {
  const box = el("section", undefined, "operation");
  box.id = op.operationId || `${method}-${path}`;
  const title = el("h3");
  title.append(el("span", method.toUpperCase(), `method ${method}`), path);
  box.append(title);
  if (op.summary) box.append(el("b", op.summary));
  if (op.description) box.append(el("p", op.description));
  const params = op.parameters || [];
  if (params.length) {
    box.append(table(["parameter", "in", "required", "type", "description"], params.map((p) => [
      p.name, p.in, p.required ? "yes" : "no", schemaText(p.schema),
      p.description || (p.schema && p.schema.description) || ""])));
  }
  const body = op.requestBody && op.requestBody.content;
  if (body) {
    for (const [type, content] of Object.entries(body)) {
      box.append(el("div", `Request body (${type}): ${schemaText(content.schema)}`));
    }
  }
  const responses = Object.entries(op.responses || {}).map(([code, r]) => [
    code, r.description || "", Object.entries(r.content || {}).map(([type, c]) =>
      `${type}${c.schema ? ": " + schemaText(c.schema) : ""}`).join("; ")]);
  box.append(table(["status", "meaning", "content"], responses));
  return box;
}

function schemaBlock(name, schema) {
  const box = el("section", undefined, "operation");
  box.id = `schema-${name}`;
  box.append(el("h3", name));
  if (schema.description) box.append(el("p", schema.description));
  const required = new Set(schema.required || []);
  const props = Object.entries(schema.properties || {});
  if (props.length) {
    box.append(table(["field", "required", "type", "default", "description"], props.map(
      ([field, s]) => [field, required.has(field) ? "yes" : "no", schemaText(s),
                       s.default === undefined ? "" : JSON.stringify(s.default),
                       s.description || ""])));
  } else {
    box.append(el("pre", JSON.stringify(schema, null, 2)));
  }
  return box;
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  document.title = `${spec.info.title} ${spec.info.version}: HTTP API`;
  document.getElementById("api-title").textContent = `${spec.info.title} ${spec.info.version}: HTTP API`;
  document.getElementById("api-description").textContent = spec.info.description || "";
  const ops = document.getElementById("api-operations");
  const index = document.getElementById("api-index");
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const box = operation(path, method, op);
      ops.append(box);
      const link = el("a", `${method.toUpperCase()} ${path}`);
      link.href = `#${box.id}`;
      index.append(link, " ");
    }
  }
  const schemas = document.getElementById("api-schemas");
  for (const [name, schema] of Object.entries((spec.components || {}).schemas || {})) {
    schemas.append(schemaBlock(name, schema));
  }
  document.body.dataset.ready = String(ops.children.length);
}

main().catch((error) => {
  document.getElementById("api-operations").textContent = `Could not load /openapi.json: ${error}`;
});
