"""Graph surgery on the CLIP ONNX: expose the residual stream of every encoder layer.

The shipped graph only outputs the final embedding and layer 11's tokens, but forensic
cues live in the intermediate layers. Adding their ``Add_1`` outputs as graph outputs
changes no computation; done in a fixed order, it re-serialises to the same bytes.
"""

LAYERS = 12
FINAL_LAYER_OUTPUT = "onnx::Gather_1524"  # layer 11's residual stream, already an output


def layer_output(layer: int) -> str:
    """Name of the graph output holding ``layer``'s residual stream (batch × 197 × 768)."""
    if layer == LAYERS - 1:
        return FINAL_LAYER_OUTPUT
    return f"/vision_model/encoder/layers.{layer}/Add_1_output_0"


def expose_residual_stream(model_bytes: bytes) -> bytes:
    import onnx  # only needed at fetch time

    model = onnx.load_from_string(model_bytes)
    produced = {name for node in model.graph.node for name in node.output}
    present = {out.name for out in model.graph.output}
    for layer in range(LAYERS):
        name = layer_output(layer)
        if name not in produced:
            raise ValueError(f"the graph has no tensor {name!r}; not the expected CLIP export")
        if name not in present:
            value = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", 197, 768])
            model.graph.output.append(value)
    return model.SerializeToString()
