"""Small apps for the SDK tests, one handler style or failure each.

The tests load them by module name (apps.<name>) the way the host does with
PYEDGE_APP. apps/default/app.py is the module found when PYEDGE_APP is unset.
"""
