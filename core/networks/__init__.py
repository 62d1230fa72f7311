"""The paper's networks: one nn.Module per concept, composed in generator.py."""
