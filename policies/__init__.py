"""The stack's Pulumi policy pack (``pulumi preview --policy-pack policies``); see ``eci_policies``."""
