using LatentEbm.Data.Text;
using LatentEbm.Onnx.Graphs;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The ONNX text graphs keep their own copy of the special token ids (the ONNX library does not reference the data library);
/// this ties the copies to the vocabulary's ids and to the tokens a built vocabulary puts at those positions.
/// </summary>
public class TextTokenIdTests
{
    [Fact]
    public void TheGraphsSpecialIdsAreTheVocabularys()
    {
        var vocabulary = Vocabulary.Build(["the cat sat", "the dog"]);
        (long GraphId, int VocabularyId, string Token)[] specials =
        [
            (TextDecoderSpec.PadId, Vocabulary.PadId, Vocabulary.Pad),
            (TextDecoderSpec.UnkId, Vocabulary.UnknownId, Vocabulary.Unknown),
            (TextDecoderSpec.StartId, Vocabulary.StartId, Vocabulary.Start),
            (TextDecoderSpec.EndId, Vocabulary.EndId, Vocabulary.End),
        ];
        foreach (var (graphId, vocabularyId, token) in specials)
        {
            Assert.Equal(vocabularyId, graphId);
            Assert.Equal(token, vocabulary[(int)graphId]);
        }
    }
}
