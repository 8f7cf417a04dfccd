"""Shape ops: basic views, cat/stack (basic), more views: split/narrow/diagonal/... (views),
storage geometry and as_strided (strided), rearranging copies (copy), einsum, F.pad (pad),
in-place view ops (inplace)."""
