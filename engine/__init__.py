"""claimscrub: rules-as-data claim scrubbing for US healthcare claims."""
__version__ = "0.1.0"
