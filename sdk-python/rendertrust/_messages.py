"""Protobuf messages to the plain dicts the SDK returns, and the local Merkle proof check."""

import hashlib
import hmac

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor


def to_dict(message):
    """Every field by its proto name; an unset optional field is None, an unset message field too."""
    result = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.label == FieldDescriptor.LABEL_REPEATED:
            result[field.name] = [_value(field, item) for item in value]
        elif field.has_presence and not message.HasField(field.name):
            result[field.name] = None
        else:
            result[field.name] = _value(field, value)
    return result


def _value(field, value):
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return value
    if field.message_type.full_name.startswith("google.protobuf."):
        return json_format.MessageToDict(value, preserving_proto_field_name=True)
    return to_dict(value)


def proof_verifies(proof):
    """RFC 6962 path check of a ``get_proof`` dict: the leaf, combined with each sibling on its side, gives the root."""
    siblings, directions = proof.get("proof_hashes") or [], proof.get("directions") or []
    if not proof.get("leaf") or not proof.get("merkle_root") or len(siblings) != len(directions):
        return False
    try:
        current = bytes.fromhex(proof["leaf"])
        for sibling_hex, side in zip(siblings, directions):
            sibling = bytes.fromhex(sibling_hex)
            if side == "left":
                current = hashlib.sha256(b"\x01" + sibling + current).digest()
            elif side == "right":
                current = hashlib.sha256(b"\x01" + current + sibling).digest()
            else:
                return False
        return hmac.compare_digest(current, bytes.fromhex(proof["merkle_root"]))
    except ValueError:
        return False
