"""ComponentResources of the elastic-inference stack, and the config model the program validates."""
