-- Sets a setting for the current transaction only. Parameters: name, value.
SELECT set_config(?, ?, true)
