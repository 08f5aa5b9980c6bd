"""Server-side apply: field sets and their FieldsV1 encoding (fieldset.py), and the merge of an
applied configuration with ownership, conflicts and managedFields (merge.py). Pure."""
