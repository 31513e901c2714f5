# RUN: mopt %s | mopt | filecheck %s
# RUN: mopt %s --print-op-generic | mopt | filecheck %s

# A string that is not ASCII prints as escaped UTF-8 bytes, as in MLIR, and reads back as
# the same string (xDSL's lexer took those escapes for bytes, and refused its own output).

print("café → ok")

# CHECK: model.str "caf\C3\A9 \E2\86\92 ok"
