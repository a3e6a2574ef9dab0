"""An app whose import raises."""
raise ZeroDivisionError("the app failed while importing")
