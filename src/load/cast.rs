//! Casting interpolated strings at Compose's typed paths (owned by the env helper; see issue 2).
