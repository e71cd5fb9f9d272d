#!/usr/bin/env python3
"""Compares a freshly generated ABI layout with the committed one. Allowed: new structs, new
fields placed at or after the struct's old end, and larger struct sizes. Anything else (a field
that moved, shrank, grew or vanished; a struct that shrank) breaks ABI 1.x and fails."""

import sys


def read(path):
    sizes, fields = {}, {}
    with open(path) as handle:
        for line in handle:
            name, *attributes = line.split()
            values = dict(attribute.split("=") for attribute in attributes)
            if "sizeof" in values:
                sizes[name] = int(values["sizeof"])
            else:
                fields[name] = (int(values["offset"]), int(values["size"]))
    return sizes, fields


def main(committed_path, current_path):
    old_sizes, old_fields = read(committed_path)
    new_sizes, new_fields = read(current_path)
    problems = []
    for struct, size in old_sizes.items():
        if struct not in new_sizes:
            problems.append(f"{struct} was removed")
        elif new_sizes[struct] < size:
            problems.append(f"{struct} shrank from {size} to {new_sizes[struct]} bytes")
    for field, (offset, size) in old_fields.items():
        if field not in new_fields:
            problems.append(f"{field} was removed or renamed")
        elif new_fields[field] != (offset, size):
            problems.append(f"{field} moved or changed size: offset {offset} size {size} -> offset {new_fields[field][0]} size {new_fields[field][1]}")
    for field, (offset, _) in new_fields.items():
        struct = field.split(".")[0]
        if field not in old_fields and struct in old_sizes and offset < old_sizes[struct]:
            problems.append(f"{field} is new but inside the old {struct} (offset {offset} < {old_sizes[struct]}): add fields at the end only")
    for problem in problems:
        print(f"ABI layout: {problem}")
    if not problems:
        added = len(set(new_fields) - set(old_fields))
        print(f"ABI layout: compatible with {committed_path} ({added} fields added)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
