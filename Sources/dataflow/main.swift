print("dataflow")
