using Google.Protobuf;

namespace ChangeDetection.Deep;

/// <summary>
/// Rewrites a serialized ONNX model so that chosen intermediate tensors become graph outputs, the input's
/// batch, height and width are free (any tile size), and everything after the last needed tensor is dropped.
/// </summary>
/// <remarks>
/// Hand-written on the protobuf wire format (Google.Protobuf's <see cref="CodedInputStream"/> and
/// <see cref="CodedOutputStream"/>) because no ONNX object-model package is available here, and the edit touches
/// five fields of three messages: generating the whole onnx.proto would add ~5 000 lines for that. Every field this
/// code does not understand is copied byte for byte, so the rest of the model (opsets, attributes, weights) is
/// unchanged. Field numbers are those of onnx.proto (public schema):
/// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12, value_info = 13;
/// NodeProto.input = 1, output = 2; TensorProto.name = 8; ValueInfoProto.name = 1, type = 2;
/// TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1, shape = 2; TensorShapeProto.dim = 1;
/// Dimension.dim_value = 1, dim_param = 2.
/// </remarks>
internal static class OnnxGraphEditor
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int GraphValueInfo = 13;
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int TensorName = 8;
    private const int ValueInfoName = 1;
    private const int OnnxFloat = 1;

    /// <summary>What the edit found and kept, for checks and messages.</summary>
    internal sealed record EditResult(byte[] Model, string InputName, int NodesKept, int NodesTotal, int InitializersKept, int InitializersTotal);

    /// <summary>
    /// Returns a copy of <paramref name="model"/> whose only outputs are <paramref name="outputs"/> (in that order),
    /// whose single non-initializer input has dims [N, C, H, W] with N, H, W symbolic, without nodes and weights that
    /// the outputs do not need, and without value_info (its shapes were fixed for 224 × 224 and would contradict other
    /// sizes). Throws <see cref="InvalidDataException"/> when a requested tensor is not produced by any node.
    /// </summary>
    internal static EditResult ExposeOutputs(byte[] model, IReadOnlyList<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(outputs);
        var modelFields = ReadFields(ByteString.CopyFrom(model));
        var graphField = modelFields.LastOrDefault(f => f.Number == ModelGraph && f.Wire == WireFormat.WireType.LengthDelimited);
        if (graphField.Bytes is null) throw new InvalidDataException("the file holds no ONNX graph (ModelProto field 7)");
        var graphFields = ReadFields(graphField.Bytes);
        var initializerNames = graphFields.Where(f => f.Number == GraphInitializer).Select(f => ReadString(f.Bytes!, TensorName)).ToHashSet(StringComparer.Ordinal);

        var nodes = graphFields.Where(f => f.Number == GraphNode).Select(f => (Field: f, Io: ReadNodeIo(f.Bytes!))).ToList();
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (var o in nodes[i].Io.Outputs) producers[o] = i;
        foreach (var name in outputs)
            if (!producers.ContainsKey(name))
                throw new InvalidDataException($"no node of the graph produces tensor '{name}'");

        // Backward reachability from the wanted tensors: the nodes that are not reached cost time and memory only.
        var keep = new bool[nodes.Count];
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(outputs);
        while (work.Count > 0)
        {
            var t = work.Pop();
            if (!needed.Add(t)) continue;
            if (!producers.TryGetValue(t, out int p) || keep[p]) continue;
            keep[p] = true;
            foreach (var i in nodes[p].Io.Inputs) if (i.Length > 0) work.Push(i);
        }

        string? inputName = null;
        int initializersKept = 0, initializersTotal = 0;
        using var graphOut = new MemoryStream();
        using var g = new CodedOutputStream(graphOut, leaveOpen: true);
        int nodeIndex = 0;
        foreach (var f in graphFields)
        {
            switch (f.Number)
            {
                case GraphNode:
                    if (keep[nodeIndex++]) WriteField(g, f);
                    break;
                case GraphInitializer:
                    initializersTotal++;
                    if (needed.Contains(ReadString(f.Bytes!, TensorName))) { WriteField(g, f); initializersKept++; }
                    break;
                case GraphInput:
                    {
                        var name = ReadString(f.Bytes!, ValueInfoName);
                        // Older IR versions list the weights as inputs too; only the image input gets free dims.
                        if (producers.ContainsKey(name)) break;
                        if (initializerNames.Contains(name))
                        {
                            if (needed.Contains(name)) WriteField(g, f);
                            break;
                        }
                        if (inputName is not null) throw new InvalidDataException($"the graph has more than one image input ('{inputName}', '{name}')");
                        inputName = name;
                        g.WriteTag(GraphInput, WireFormat.WireType.LengthDelimited);
                        g.WriteBytes(ValueInfo(name, ["N", 3L, "H", "W"]));
                        break;
                    }
                case GraphOutput:
                case GraphValueInfo:
                    break;
                default:
                    WriteField(g, f);
                    break;
            }
        }
        if (inputName is null) throw new InvalidDataException("the graph has no image input");
        foreach (var name in outputs)
        {
            g.WriteTag(GraphOutput, WireFormat.WireType.LengthDelimited);
            g.WriteBytes(ValueInfo(name, ["N", "C", "h", "w"]));
        }
        g.Flush();

        using var modelOut = new MemoryStream(model.Length);
        using var m = new CodedOutputStream(modelOut, leaveOpen: true);
        foreach (var f in modelFields)
        {
            if (f.Number == ModelGraph)
            {
                // Only the last graph field counts in protobuf; earlier ones (none in practice) are dropped.
                if (!ReferenceEquals(f.Bytes, graphField.Bytes)) continue;
                m.WriteTag(ModelGraph, WireFormat.WireType.LengthDelimited);
                m.WriteBytes(ByteString.CopyFrom(graphOut.GetBuffer(), 0, (int)graphOut.Length));
            }
            else WriteField(m, f);
        }
        m.Flush();
        return new EditResult(modelOut.ToArray(), inputName, keep.Count(k => k), nodes.Count, initializersKept, initializersTotal);
    }

    /// <summary>The output tensor names that a serialized model declares (GraphProto.output), in order.</summary>
    internal static IReadOnlyList<string> OutputNames(byte[] model)
    {
        var graph = ReadFields(ByteString.CopyFrom(model)).Last(f => f.Number == ModelGraph).Bytes!;
        return ReadFields(graph).Where(f => f.Number == GraphOutput).Select(f => ReadString(f.Bytes!, ValueInfoName)).ToList();
    }

    /// <summary>ValueInfoProto of a float tensor; each dim is a fixed size (long) or a symbolic name (string).</summary>
    private static ByteString ValueInfo(string name, object[] dims)
    {
        var shape = Message(o =>
        {
            foreach (var d in dims)
            {
                var dim = d is long v
                    ? Message(x => { x.WriteTag(1, WireFormat.WireType.Varint); x.WriteInt64(v); })
                    : Message(x => { x.WriteTag(2, WireFormat.WireType.LengthDelimited); x.WriteString((string)d); });
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(dim);
            }
        });
        var tensor = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt32(OnnxFloat);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(shape);
        });
        var type = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(tensor); });
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(type);
        });
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using var o = new CodedOutputStream(ms, leaveOpen: true);
        write(o);
        o.Flush();
        return ByteString.CopyFrom(ms.ToArray());
    }

    private static (List<string> Inputs, List<string> Outputs) ReadNodeIo(ByteString node)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        foreach (var f in ReadFields(node))
        {
            if (f.Number == NodeInput && f.Bytes is not null) inputs.Add(f.Bytes.ToStringUtf8());
            else if (f.Number == NodeOutput && f.Bytes is not null) outputs.Add(f.Bytes.ToStringUtf8());
        }
        return (inputs, outputs);
    }

    private static string ReadString(ByteString message, int field)
    {
        string result = "";
        foreach (var f in ReadFields(message))
            if (f.Number == field && f.Bytes is not null) result = f.Bytes.ToStringUtf8();
        return result;
    }

    /// <summary>One field as read from the wire: varint/fixed values in <see cref="Value"/>, the rest in <see cref="Bytes"/>.</summary>
    private readonly record struct Field(int Number, WireFormat.WireType Wire, ulong Value, ByteString? Bytes);

    private static List<Field> ReadFields(ByteString message)
    {
        var fields = new List<Field>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int number = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            fields.Add(wire switch
            {
                WireFormat.WireType.Varint => new Field(number, wire, input.ReadUInt64(), null),
                WireFormat.WireType.Fixed64 => new Field(number, wire, input.ReadFixed64(), null),
                WireFormat.WireType.Fixed32 => new Field(number, wire, input.ReadFixed32(), null),
                WireFormat.WireType.LengthDelimited => new Field(number, wire, 0, input.ReadBytes()),
                _ => throw new InvalidDataException($"unsupported protobuf wire type {wire} in field {number}"),
            });
        }
        return fields;
    }

    private static void WriteField(CodedOutputStream o, Field f)
    {
        o.WriteTag(f.Number, f.Wire);
        switch (f.Wire)
        {
            case WireFormat.WireType.Varint: o.WriteUInt64(f.Value); break;
            case WireFormat.WireType.Fixed64: o.WriteFixed64(f.Value); break;
            case WireFormat.WireType.Fixed32: o.WriteFixed32((uint)f.Value); break;
            default: o.WriteBytes(f.Bytes!); break;
        }
    }
}
