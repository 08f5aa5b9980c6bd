"""kube-apiserver's Table printers of the built-in kinds, one module per API group family."""
