namespace DeepGen.Serialization;

/// <summary>A weights file that is malformed, or that belongs to another model.</summary>
public sealed class InvalidModelFileException(string message, Exception? inner = null) : IOException(message, inner);
