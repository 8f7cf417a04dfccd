"""Linear algebra: the matmul family (matmul), inverses/determinants/solvers (solve), triangular
solves and Cholesky (triangular), decompositions (decompositions), matrix functions
(matrix_functions), norms and distances (norm)."""
