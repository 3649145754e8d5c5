namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// The resume check the layer tests share: one run straight through, and the same run killed (cancelled) after epoch
/// 2 and resumed on a fresh model from its <see cref="BackupAndRestore"/> checkpoint; both must end on the same bits.
/// </summary>
internal static class InterruptedTraining
{
    /// <summary>Fits a model: with a <see cref="BackupAndRestore"/> at <c>backup</c> unless it is null.</summary>
    public delegate History Train(SequentialModel model, string? backup, IProgress<EpochResult>? progress, CancellationToken token);

    /// <summary>
    /// Trains <paramref name="straight"/> without a backup; then <paramref name="interrupted"/> with its backup at
    /// <paramref name="backupPath"/>, cancelled once epoch 2 ends; then <paramref name="resumed"/> from that backup.
    /// </summary>
    public static void RunStraightAndResumed(
        Train train, SequentialModel straight, SequentialModel interrupted, SequentialModel resumed, string backupPath)
    {
        train(straight, backup: null, progress: null, CancellationToken.None);
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => train(interrupted, backupPath,
                new SynchronousProgress(e => { if (e.Epoch == 2) cancel.Cancel(); }), cancel.Token));
        }

        train(resumed, backupPath, progress: null, CancellationToken.None);
    }

    /// <summary>The parameters and the non-trainable weights are the same bits in both models.</summary>
    public static void AssertSameBits(SequentialModel expected, SequentialModel actual)
    {
        Assert.Equal(expected.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), actual.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expected.NonTrainableWeights.ToArray().Select(BitConverter.SingleToInt32Bits), actual.NonTrainableWeights.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
