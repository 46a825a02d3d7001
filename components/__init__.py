"""ComponentResources of the elastic-inference stack and the naming rules they share."""
