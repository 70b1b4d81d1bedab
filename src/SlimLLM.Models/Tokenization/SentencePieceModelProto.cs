using System.Text;
using SlimLLM.Errors;

namespace SlimLLM.Tokenization;

/// <summary>
/// The parts of SentencePiece's ModelProto (sentencepiece_model.proto) this project reads and writes: the pieces, the
/// trainer settings that shape encoding and the normalizer flags. Reading applies the proto2 defaults of absent fields;
/// writing spells every field out. Enough to check a tokenizer.model and to rebuild one from a GGUF vocabulary.
/// </summary>
internal sealed class SentencePieceModelProto
{
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public const int UnigramModel = 1;
    public const int BpeModel = 2;

    public readonly record struct Piece(string Text, float Score, PieceType Type);

    public List<Piece> Pieces { get; } = [];
    public int ModelType { get; set; } = UnigramModel;
    public bool ByteFallback { get; set; }
    public bool TreatWhitespaceAsSuffix { get; set; }
    public int UnkId { get; set; }
    public int BosId { get; set; } = 1;
    public int EosId { get; set; } = 2;
    public int PadId { get; set; } = -1;
    public string NormalizerName { get; set; } = "identity";
    public int PrecompiledCharsmapLength { get; private set; }
    public bool AddDummyPrefix { get; set; } = true;
    public bool RemoveExtraWhitespaces { get; set; } = true;
    public bool EscapeWhitespaces { get; set; } = true;

    public static SentencePieceModelProto Parse(ReadOnlySpan<byte> bytes, string path)
    {
        var model = new SentencePieceModelProto();
        try
        {
            var r = new ProtoReader(bytes.ToArray());
            while (!r.AtEnd)
            {
                var (field, wire) = r.Key();
                switch (field, wire)
                {
                    case (1, 2): model.Pieces.Add(ParsePiece(r.Bytes())); break;
                    case (2, 2): model.ParseTrainer(r.Bytes()); break;
                    case (3, 2): model.ParseNormalizer(r.Bytes()); break;
                    default: r.Skip(wire); break;
                }
            }
        }
        catch (FormatException e)
        {
            throw new SlimLLMException(path, $"is not a SentencePiece model: {e.Message}", "Use the tokenizer.model file from the model's repository.");
        }
        if (model.Pieces.Count == 0)
            throw new SlimLLMException(path, "is not a SentencePiece model: it holds no pieces.", "Use the tokenizer.model file from the model's repository.");
        return model;
    }

    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        foreach (var p in Pieces)
        {
            var pw = new ProtoWriter();
            pw.String(1, p.Text);
            pw.Float(2, p.Score);
            pw.Varint(3, (ulong)p.Type);
            w.Message(1, pw);
        }
        var t = new ProtoWriter();
        t.Varint(3, (ulong)ModelType);
        t.Varint(4, (ulong)Pieces.Count);
        t.Varint(24, TreatWhitespaceAsSuffix ? 1ul : 0ul);
        t.Varint(35, ByteFallback ? 1ul : 0ul);
        t.Varint(40, (ulong)(long)UnkId);
        t.Varint(41, (ulong)(long)BosId);
        t.Varint(42, (ulong)(long)EosId);
        t.Varint(43, (ulong)(long)PadId);
        if (UnkId >= 0) t.String(45, Pieces[UnkId].Text);
        if (BosId >= 0) t.String(46, Pieces[BosId].Text);
        if (EosId >= 0) t.String(47, Pieces[EosId].Text);
        w.Message(2, t);
        var n = new ProtoWriter();
        n.String(1, NormalizerName);
        n.Varint(3, AddDummyPrefix ? 1ul : 0ul);
        n.Varint(4, RemoveExtraWhitespaces ? 1ul : 0ul);
        n.Varint(5, EscapeWhitespaces ? 1ul : 0ul);
        w.Message(3, n);
        return w.ToArray();
    }

    private static Piece ParsePiece(byte[] bytes)
    {
        var r = new ProtoReader(bytes);
        string text = "";
        float score = 0;
        var type = PieceType.Normal;
        while (!r.AtEnd)
        {
            var (field, wire) = r.Key();
            switch (field, wire)
            {
                case (1, 2): text = Encoding.UTF8.GetString(r.Bytes()); break;
                case (2, 5): score = r.Float(); break;
                case (3, 0): type = (PieceType)(int)r.Varint(); break;
                default: r.Skip(wire); break;
            }
        }
        return new Piece(text, score, type);
    }

    private void ParseTrainer(byte[] bytes)
    {
        var r = new ProtoReader(bytes);
        while (!r.AtEnd)
        {
            var (field, wire) = r.Key();
            switch (field, wire)
            {
                case (3, 0): ModelType = (int)r.Varint(); break;
                case (24, 0): TreatWhitespaceAsSuffix = r.Varint() != 0; break;
                case (35, 0): ByteFallback = r.Varint() != 0; break;
                case (40, 0): UnkId = (int)(long)r.Varint(); break;
                case (41, 0): BosId = (int)(long)r.Varint(); break;
                case (42, 0): EosId = (int)(long)r.Varint(); break;
                case (43, 0): PadId = (int)(long)r.Varint(); break;
                default: r.Skip(wire); break;
            }
        }
    }

    private void ParseNormalizer(byte[] bytes)
    {
        var r = new ProtoReader(bytes);
        while (!r.AtEnd)
        {
            var (field, wire) = r.Key();
            switch (field, wire)
            {
                case (1, 2): NormalizerName = Encoding.UTF8.GetString(r.Bytes()); break;
                case (2, 2): PrecompiledCharsmapLength = r.Bytes().Length; break;
                case (3, 0): AddDummyPrefix = r.Varint() != 0; break;
                case (4, 0): RemoveExtraWhitespaces = r.Varint() != 0; break;
                case (5, 0): EscapeWhitespaces = r.Varint() != 0; break;
                default: r.Skip(wire); break;
            }
        }
    }

    /// <summary>Protobuf wire-format reader; malformed input raises <see cref="FormatException"/>.</summary>
    private sealed class ProtoReader(byte[] data)
    {
        private int _pos;

        public bool AtEnd => _pos >= data.Length;

        public (int Field, int Wire) Key()
        {
            var key = Varint();
            return ((int)(key >> 3), (int)(key & 7));
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= data.Length) throw new FormatException($"a number is cut off at byte {_pos}");
                var b = data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new FormatException($"a number at byte {_pos} is longer than 10 bytes");
        }

        public byte[] Bytes()
        {
            var length = Varint();
            if (length > (ulong)(data.Length - _pos)) throw new FormatException($"a field of {length} bytes at byte {_pos} runs past the end");
            var result = data.AsSpan(_pos, (int)length).ToArray();
            _pos += (int)length;
            return result;
        }

        public float Float()
        {
            if (data.Length - _pos < 4) throw new FormatException($"a float is cut off at byte {_pos}");
            var v = BitConverter.ToSingle(data, _pos);
            _pos += 4;
            return v;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw new FormatException($"unknown wire type {wire} at byte {_pos}");
            }
        }

        private void Advance(int n)
        {
            if (data.Length - _pos < n) throw new FormatException($"a field is cut off at byte {_pos}");
            _pos += n;
        }
    }

    private sealed class ProtoWriter
    {
        private readonly MemoryStream _out = new();

        public byte[] ToArray() => _out.ToArray();

        public void Varint(int field, ulong value)
        {
            Key(field, 0);
            Raw(value);
        }

        public void Float(int field, float value)
        {
            Key(field, 5);
            Span<byte> b = stackalloc byte[4];
            BitConverter.TryWriteBytes(b, value);
            _out.Write(b);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter inner) => Bytes(field, inner.ToArray());

        private void Bytes(int field, byte[] bytes)
        {
            Key(field, 2);
            Raw((ulong)bytes.Length);
            _out.Write(bytes);
        }

        private void Key(int field, int wire) => Raw((ulong)(field << 3 | wire));

        private void Raw(ulong v)
        {
            while (v >= 0x80)
            {
                _out.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }
            _out.WriteByte((byte)v);
        }
    }
}
