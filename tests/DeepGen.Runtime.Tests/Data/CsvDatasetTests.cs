using System.Globalization;
using System.Text;
using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

public sealed class CsvDatasetTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string text, bool bom = false, string name = "data.csv")
    {
        var path = _folder.File(name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: bom));
        return path;
    }

    [Fact]
    public void Reads_features_and_a_numeric_label_in_file_order()
    {
        var data = CsvDataset.Load(Write("a,b,target,c\n1,2,0.5,3\n-4.25,5e-1,7,6\n"), "target");

        Assert.Equal(["a", "b", "c"], data.FeatureNames);
        Assert.Equal("target", data.LabelName);
        Assert.Equal(2, data.SampleCount);
        Assert.Equal(3, data.FeatureCount);
        Assert.Equal([1f, 2f, 3f, -4.25f, 0.5f, 6f], data.Features);
        Assert.Equal([0.5f, 7f], data.Labels);
        Assert.Null(data.ClassNames);
        Assert.Equal(0, data.ClassCount);
        Assert.Equal([2, 3], new[] { data.LineOf(0), data.LineOf(1) });
        Assert.Throws<InvalidOperationException>(() => data.OneHotLabels());
    }

    [Fact]
    public void Categorical_labels_become_sorted_class_indices_with_their_names()
    {
        var data = CsvDataset.Load(Write("x,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n"), "species");

        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames);
        Assert.Equal([2f, 0f, 1f, 0f], data.Labels);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f, 1f, 0f, 0f], data.OneHotLabels());
    }

    [Fact]
    public void Numeric_class_names_sort_by_value_and_given_class_names_fix_the_order()
    {
        var byValue = CsvDataset.Load(Write("x,y\n1,10\n2,2\n3,1\n"), "y", new CsvOptions { LabelKind = CsvLabelKind.Categorical });
        Assert.Equal(["1", "2", "10"], byValue.ClassNames);
        Assert.Equal([2f, 1f, 0f], byValue.Labels);

        var path = Write("x,y\n1,no\n2,yes\n");
        var given = CsvDataset.Load(path, "y", new CsvOptions { ClassNames = ["yes", "maybe", "no"] });
        Assert.Equal(["yes", "maybe", "no"], given.ClassNames);
        Assert.Equal([2f, 0f], given.Labels);

        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "y", new CsvOptions { ClassNames = ["yes"] }));
        Assert.Equal((2, "y", "no"), (e.Line!.Value, e.Column, e.Text));
        Assert.Contains("'no' is not one of the class names given (yes)", e.Message);
    }

    [Fact]
    public void Quoted_fields_CRLF_BOM_spaces_and_blank_lines()
    {
        var text = "\"first, feature\",\"label \"\"kind\"\"\",\"third\"\r\n \"1.5\" , \"a, \"\"quoted\"\"\r\nname\", 2 \r\n\r\n3,plain,4\r\n";
        var data = CsvDataset.Load(Write(text, bom: true), "label \"kind\"");

        Assert.Equal(["first, feature", "third"], data.FeatureNames);
        Assert.Equal([1.5f, 2f, 3f, 4f], data.Features);
        Assert.Equal(["a, \"quoted\"\r\nname", "plain"], data.ClassNames);
        Assert.Equal([0f, 1f], data.Labels);
        Assert.Equal(2, data.LineOf(0));
        Assert.Equal(5, data.LineOf(1)); // the quoted line break and the blank line count as lines, as an editor shows them
    }

    [Fact]
    public void Without_a_trailing_newline_the_last_row_is_read()
    {
        var data = CsvDataset.Load(Write("a,b\n1,2\n3,4"), "b");
        Assert.Equal([1f, 3f], data.Features);
        Assert.Equal([2f, 4f], data.Labels);
    }

    [Fact]
    public void Options_choose_features_label_by_index_separator_culture_and_no_header()
    {
        var chosen = CsvDataset.Load(Write("a;b;c;d\n1;2;3;4\n"), "d", new CsvOptions { Separator = ';', Features = ["c", "a"] });
        Assert.Equal(["c", "a"], chosen.FeatureNames);
        Assert.Equal([3f, 1f], chosen.Features);

        var commaDecimals = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaDecimals.NumberFormat.NumberDecimalSeparator = ",";
        var german = CsvDataset.Load(Write("x;y\n1,5;2,25\n"), -1, new CsvOptions { Separator = ';', Culture = commaDecimals });
        Assert.Equal([1.5f], german.Features);
        Assert.Equal([2.25f], german.Labels);

        var headerless = CsvDataset.Load(Write("yes\t1\t2\nno\t3\t4\n"), 0, new CsvOptions { Separator = '\t', HasHeader = false });
        Assert.Equal(["column1", "column2"], headerless.FeatureNames);
        Assert.Equal("column0", headerless.LabelName);
        Assert.Equal([1f, 2f, 3f, 4f], headerless.Features);
        Assert.Equal(["no", "yes"], headerless.ClassNames);
        Assert.Equal([1f, 0f], headerless.Labels);
        Assert.Equal(1, headerless.LineOf(0));
    }

    [Fact]
    public void Read_takes_text_and_names_it_in_messages()
    {
        var data = CsvDataset.Read(new StringReader("a,b\n1,2\n"), "b");
        Assert.Equal("CSV text", data.SourceName);
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Read(new StringReader("a,b\n1,x\n"), 1, new CsvOptions { LabelKind = CsvLabelKind.Numeric }, "inline"));
        Assert.StartsWith("inline, line 2 (sample 0), column 'b' (the label): 'x' is not a number.", e.Message);
    }

    [Theory]
    [InlineData("a,b,y\n1,2,0\n3,,1\n", 3, "b", "", "line 3 (sample 1), column 'b' (feature 1): the value is missing")]
    [InlineData("a,b,y\n1,2,0\n3,4,1\n5,six,0\n", 4, "b", "six", "line 4 (sample 2), column 'b' (feature 1): 'six' is not a number.")]
    [InlineData("a,b,y\n1,2,0\nNaN,4,1\n", 3, "a", "NaN", "line 3 (sample 1), column 'a' (feature 0): 'NaN' is not a finite number")]
    [InlineData("a,b,y\n1,2,0\n3,4,\n", 3, "y", "", "line 3 (sample 1), column 'y' (the label): the value is missing.")]
    [InlineData("a,b,y\n1,2,0\n1e39,4,1\n", 3, "a", "1e39", "'1e39' is not a finite number (too large for a float?)")]
    public void Bad_values_name_the_file_line_sample_column_and_text(string text, int line, string column, string bad, string message)
    {
        var path = Write(text);
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "y"));

        Assert.Equal(path, e.SourceName);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal(bad, e.Text);
        Assert.StartsWith(path + ", ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Ragged_rows_name_the_line_and_both_counts()
    {
        var path = Write("a,b,y\n1,2,0\n\n1,2\n");
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "y"));
        Assert.Equal(4, e.Line);
        Assert.Equal($"{path}, line 4: the row has 2 fields, but the header has 3.", e.Message);

        e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(Write("a,b,y\n1,2,0,9\n"), "y"));
        Assert.Contains("line 2: the row has 4 fields", e.Message);
    }

    [Fact]
    public void Missing_columns_empty_files_and_header_only_files_are_named()
    {
        var path = Write("a,b\n1,2\n");
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "target"));
        Assert.Equal($"{path} has no column named 'target' for the label. Its columns: 'a', 'b'.", e.Message);
        Assert.Contains("no column named 'c' for feature 1", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "b", new CsvOptions { Features = ["a", "c"] })).Message);
        Assert.Contains("there is no column 2 for the label", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, 2)).Message);
        Assert.Contains("is the label", Assert.Throws<ArgumentException>(() => CsvDataset.Load(path, "b", new CsvOptions { Features = ["b"] })).Message);
        Assert.Contains("no header", Assert.Throws<ArgumentException>(() => CsvDataset.Load(path, "b", new CsvOptions { HasHeader = false })).Message);

        var empty = Write("", name: "empty.csv");
        Assert.Equal($"{empty} is empty: it has no header row and no data.", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(empty, "y")).Message);
        var newline = Write("\n", name: "newline.csv");
        Assert.Contains("is empty", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(newline, "y")).Message);
        var bomOnly = Write("", bom: true, name: "bom.csv");
        Assert.Contains("is empty", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(bomOnly, "y")).Message);

        var headerOnly = Write("a,y\r\n", name: "header.csv");
        Assert.Equal($"{headerOnly} has a header but no data rows.", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(headerOnly, "y")).Message);
        Assert.Contains("no column named 'target'", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(headerOnly, "target")).Message);
        var onlyLabel = Write("y\n1\n", name: "label.csv");
        Assert.Contains("no feature columns", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(onlyLabel, "y")).Message);
    }

    [Fact]
    public void A_header_naming_a_column_twice_or_leaving_one_unnamed_is_refused()
    {
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(Write("a,a,y\n1,2,3\n"), "y"));
        Assert.Equal(1, e.Line);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("column 1 has no name", Assert.Throws<CsvFormatException>(() => CsvDataset.Load(Write("a,,y\n1,2,3\n"), "y")).Message);
    }

    [Fact]
    public void Numeric_label_kind_refuses_text_and_auto_falls_back_to_classes()
    {
        var path = Write("a,y\n1,0\n2,1\n3,other\n");
        Assert.Equal(["0", "1", "other"], CsvDataset.Load(path, "y").ClassNames);
        var e = Assert.Throws<CsvFormatException>(() => CsvDataset.Load(path, "y", new CsvOptions { LabelKind = CsvLabelKind.Numeric }));
        Assert.Equal((4, "other"), (e.Line!.Value, e.Text));
    }

    [Fact]
    public void The_shipped_sample_files_load_with_their_documented_shapes()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "Tabular", "data");
        var cancer = CsvDataset.Load(Path.Combine(folder, "breast_cancer.csv"), "diagnosis");
        Assert.Equal((569, 30), (cancer.SampleCount, cancer.FeatureCount));
        Assert.Equal(["benign", "malignant"], cancer.ClassNames);
        Assert.Equal(212, cancer.Labels.Count(l => l == 1f));
        Assert.Equal("mean radius", cancer.FeatureNames[0]);
        Assert.Equal(17.99f, cancer.Features[0]);

        var diabetes = CsvDataset.Load(Path.Combine(folder, "diabetes.csv"), "progression");
        Assert.Equal((442, 10), (diabetes.SampleCount, diabetes.FeatureCount));
        Assert.Null(diabetes.ClassNames);
        Assert.Equal(["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"], diabetes.FeatureNames);
        Assert.Equal([59f, 2f, 32.1f], diabetes.Features[..3]);
        Assert.Equal(151f, diabetes.Labels[0]);
    }
}
