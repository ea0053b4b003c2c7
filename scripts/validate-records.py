#!/usr/bin/env python3
"""Validates JSON Lines against a schema in Specs/schemas (default: record.schema.json).

    dpp export | scripts/validate-records.py [schema-file-name]

Prints 'N valid' and exits 0, or names the first invalid line and exits 1.
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

schemas = pathlib.Path(__file__).resolve().parent.parent / "Specs" / "schemas"
resources = []
for path in schemas.rglob("*.schema.json"):
    doc = json.loads(path.read_text())
    resource = Resource.from_contents(doc)
    resources.append((doc["$id"], resource))
    resources.append((path.name, resource))
registry = Registry().with_resources(resources)
name = sys.argv[1] if len(sys.argv) > 1 else "record.schema.json"
schema = json.loads((schemas / name).read_text())
validator = jsonschema.Draft202012Validator(schema, registry=registry)
count = 0
for number, line in enumerate(sys.stdin, 1):
    if not line.strip():
        continue
    errors = sorted(validator.iter_errors(json.loads(line)), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        print(f"line {number}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
        sys.exit(1)
    count += 1
print(f"{count} valid")
