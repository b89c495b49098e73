# SPDX-License-Identifier: MIT
"""openapi_check - every reply of rcptdb-web checked against web/openapi.json.

OpenApi.check(method, path, reply) finds the operation the request
addressed (the path template whose segments fit, the method), the
response the description gives for the reply's status, and checks:
  - the status is described for that operation;
  - the Content-Type is the one described (application/json, or
    application/problem+json), and a reply described without content has
    no body;
  - the body validates against the described schema;
  - described headers (ETag, Location) are present.
It raises AssertionError naming the request and the first mismatch.

The validator is written here rather than taken from python3-jsonschema:
the black-box suites run on the python3 first on PATH, which need not see
Debian's packages. It covers exactly the JSON Schema that openapi.json
uses, and refuses any keyword it does not know, so the description cannot
silently outgrow it: type (a name or a list), enum, properties,
required, additionalProperties (false), items, minimum, maximum and $ref
to #/components/schemas/NAME; {} allows anything.
"""
import json
import urllib.parse

KNOWN = {"type", "enum", "properties", "required", "additionalProperties", "items",
         "minimum", "maximum", "maxLength", "$ref", "description"}


class OpenApi:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.templates = [(p, p.strip("/").split("/")) for p in self.doc["paths"]]

    def operation(self, method, path):
        raw = path.split("?", 1)[0]
        segs = [urllib.parse.unquote(s) for s in raw.strip("/").split("/")]
        for template, parts in self.templates:
            if len(parts) != len(segs):
                continue
            if all(p.startswith("{") or p == s for p, s in zip(parts, segs)):
                ops = self.doc["paths"][template]
                m = "get" if method == "HEAD" else method.lower()
                return template, ops.get(m)
        return None, None

    def check(self, method, path, reply):
        if not path.startswith("/api/"):
            return  # the page's static files (issue 23)
        where = f"{method} {path} -> {reply.status}"
        template, op = self.operation(method, path)
        if template is None or op is None:
            # Unknown paths and methods are refused with problems: 404, 405.
            if reply.status in (404, 405, 400):
                self._problem(where, reply)
                return
            raise AssertionError(f"{where}: not in openapi.json, yet not refused")
        responses = op["responses"]
        spec = responses.get(str(reply.status))
        if spec is None:
            raise AssertionError(f"{where}: status not described for {method} {template}: "
                                 f"{reply.body[:300]!r}")
        spec = self._deref(spec)
        content = spec.get("content")
        ctype = (reply.header("content-type") or "").split(";")[0].strip()
        if content is None:
            if reply.body:
                raise AssertionError(f"{where}: described without content, has a body")
            return
        if ctype not in content:
            raise AssertionError(f"{where}: Content-Type {ctype!r}, described {list(content)}")
        try:
            body = json.loads(reply.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"{where}: body is not JSON: {e}")
        self.validate(content[ctype]["schema"], body, f"{where}: body")
        for name in spec.get("headers", {}):
            if name.lower() == "set-cookie":
                continue
            if reply.header(name) is None:
                raise AssertionError(f"{where}: header {name} is described but missing")

    def _problem(self, where, reply):
        ctype = (reply.header("content-type") or "").split(";")[0].strip()
        if ctype != "application/problem+json":
            raise AssertionError(f"{where}: a refusal that is not problem+json ({ctype})")
        self.validate({"$ref": "#/components/schemas/Problem"},
                      json.loads(reply.body.decode("utf-8")), f"{where}: body")

    def _deref(self, spec):
        while "$ref" in spec:
            ref = spec["$ref"]
            assert ref.startswith("#/"), ref
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part]
            spec = node
        return spec

    def validate(self, schema, value, where):
        unknown = set(schema) - KNOWN
        if unknown:
            raise AssertionError(f"openapi_check does not know {sorted(unknown)} ({where})")
        if "$ref" in schema:
            return self.validate(self._deref(schema), value, where)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(self._is(t, value) for t in types):
                raise AssertionError(f"{where}: {value!r} is not {'/'.join(types)}")
        if "enum" in schema and value not in schema["enum"]:
            raise AssertionError(f"{where}: {value!r} not in {schema['enum']}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                raise AssertionError(f"{where}: {value} < {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                raise AssertionError(f"{where}: {value} > {schema['maximum']}")
        if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
            raise AssertionError(f"{where}: {len(value)} characters > {schema['maxLength']}")
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    raise AssertionError(f"{where}: missing {name!r} in {value!r}")
            for name, v in value.items():
                if name in props:
                    self.validate(props[name], v, f"{where}.{name}")
                elif schema.get("additionalProperties", True) is False:
                    raise AssertionError(f"{where}: {name!r} is not described")
        if isinstance(value, list) and "items" in schema:
            for i, v in enumerate(value):
                self.validate(schema["items"], v, f"{where}[{i}]")

    @staticmethod
    def _is(t, value):
        return {
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "null": lambda v: v is None,
        }[t](value)
