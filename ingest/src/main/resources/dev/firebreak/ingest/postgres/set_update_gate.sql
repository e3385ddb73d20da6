-- Switches the UPDATE gate triggers on or off (V8); returns how many it removed. Parameter: on (boolean).
SELECT firebreak.set_update_gate(?)
