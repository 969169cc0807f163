"""CRM fields: the schema (configuration), the value readers per type, and the slot filler."""

from callpilot.aftercall.fields.filler import SlotFiller
from callpilot.aftercall.fields.schema import FieldSchema, FieldSpec, FieldType, load_field_schema

__all__ = ["FieldSchema", "FieldSpec", "FieldType", "SlotFiller", "load_field_schema"]
