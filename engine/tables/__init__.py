"""claimscrub."""
