package io.sparsestep.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model zoo by command-line id. Every model adapts to the dataset: input channels and
 * size come from the data, the last layer has one output per class, and convolutional
 * models end in a global average pool so any input size down to 8x8 works.
 */
public final class Models {
    private static final Pattern WRN = Pattern.compile("wrn28-(\\d{1,2})");

    private Models() {}

    public static List<String> ids() { return List.of("lenet300", "lenet5", "vgg16", "resnet20", "resnet56", "wrn28-K (e.g. wrn28-2, wrn28-10)"); }

    /**
     * Checks that {@code id} names a model, without building it (so a command line can be
     * checked before any data is loaded); {@link #create} accepts exactly these ids.
     */
    public static void requireKnown(String id) {
        Matcher wrn = WRN.matcher(id);
        boolean known = switch (id) {
            case "lenet300", "lenet5", "vgg16", "resnet20", "resnet56" -> true;
            default -> wrn.matches();
        };
        if (!known) throw new IllegalArgumentException("unknown model '" + id + "'; choose one of " + String.join(", ", ids()));
        if (wrn.matches()) checkWidenFactor(Integer.parseInt(wrn.group(1)));
    }

    private static void checkWidenFactor(int k) {
        if (k < 1 || k > 16) throw new IllegalArgumentException("WRN widen factor must be 1..16, got " + k + " (e.g. wrn28-10)");
    }

    /** The root layer of model {@code id} for per-sample input [C,H,W] and {@code classes} outputs. */
    public static Layer create(String id, int[] input, int classes) {
        requireKnown(id);
        Matcher wrn = WRN.matcher(id);
        return switch (id) {
            case "lenet300" -> lenet300(classes);
            case "lenet5" -> lenet5(classes);
            case "vgg16" -> vgg16(input, classes);
            case "resnet20" -> resnet(20, classes);
            case "resnet56" -> resnet(56, classes);
            default -> {
                if (!wrn.matches()) throw new IllegalStateException("requireKnown accepted '" + id + "' but create has no case for it");
                yield wideResnet(28, Integer.parseInt(wrn.group(1)), classes);
            }
        };
    }

    /**
     * The root layer of {@code arch}'s model with its widths, for per-sample input [C,H,W]
     * and {@code classes} outputs; the residual ties are checked again for this input, with
     * the layers named in the message.
     */
    public static Layer create(Architecture arch, int[] input, int classes) {
        Layer root = resize(create(arch.model(), input, classes), arch.widths());
        ModelGraph.of(root, input);
        return root;
    }

    /**
     * An unplanned copy of {@code root} whose conv/linear layers named in {@code widths} get
     * those widths (names scoped as the planner scopes them); the rest are shared, so the
     * tree passed in must not be planned or used afterwards.
     */
    static Layer resize(Layer root, Map<String, Integer> widths) {
        return resize(root, "", widths);
    }

    private static Layer resize(Layer layer, String scope, Map<String, Integer> widths) {
        return switch (layer) {
            case Sequential s -> {
                String inner = s.name().isEmpty() ? scope : ModelGraph.join(scope, s.name());
                List<Layer> children = new ArrayList<>();
                for (Layer c : s.children()) children.add(resize(c, inner, widths));
                yield new Sequential(s.name(), children);
            }
            case Residual r -> {
                String inner = ModelGraph.join(scope, r.name());
                yield new Residual(r.name(), resize(r.branch(), inner, widths),
                        r.shortcut() == null ? null : resize(r.shortcut(), inner, widths), r.reluAfter());
            }
            case Conv2d c -> {
                Integer w = widths.get(ModelGraph.join(scope, c.name()));
                yield w == null ? c : c.withOutChannels(w);
            }
            case Linear l -> {
                Integer w = widths.get(ModelGraph.join(scope, l.name()));
                yield w == null ? l : l.withOutFeatures(w);
            }
            case BatchNorm2d _, ReLU _, Pool2d _, Flatten _ -> layer;
        };
    }

    /** LeNet-300-100 (LeCun et al. 1998): two hidden fully connected layers. */
    static Layer lenet300(int classes) {
        return new Sequential("", new Flatten("flatten"),
                new Linear("fc1", 300), new ReLU("relu1"),
                new Linear("fc2", 100), new ReLU("relu2"),
                new Linear("fc3", classes));
    }

    /** LeNet-5 in the Caffe variant used by the pruning literature (20-50-500; 431K parameters on MNIST). */
    static Layer lenet5(int classes) {
        return new Sequential("",
                new Conv2d("conv1", 20, 5, 1, 0, true), new ReLU("relu1"), Pool2d.max("pool1", 2, 2),
                new Conv2d("conv2", 50, 5, 1, 0, true), new ReLU("relu2"), Pool2d.max("pool2", 2, 2),
                new Flatten("flatten"),
                new Linear("fc1", 500), new ReLU("relu3"),
                new Linear("fc2", classes));
    }

    private static final int[] VGG16 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};

    /**
     * VGG-16 with batch norm, CIFAR variant (13 conv 3x3 + BN + ReLU, one linear
     * classifier). A 2x2 max pool is skipped once the plane is smaller than 2x2, so 28x28
     * inputs work; a global average pool precedes the classifier.
     */
    static Layer vgg16(int[] input, int classes) {
        List<Layer> layers = new ArrayList<>();
        int size = Math.min(input[1], input[2]);
        int conv = 0, pool = 0;
        for (int v : VGG16) {
            if (v == 0) {
                if (size >= 2) {
                    layers.add(Pool2d.max("pool" + (++pool), 2, 2));
                    size /= 2;
                }
                continue;
            }
            conv++;
            layers.add(new Conv2d("conv" + conv, v, 3, 1, 1, false));
            layers.add(new BatchNorm2d("bn" + conv));
            layers.add(new ReLU("relu" + conv));
        }
        layers.add(Pool2d.globalAverage("gap"));
        layers.add(new Flatten("flatten"));
        layers.add(new Linear("fc", classes));
        return new Sequential("", layers);
    }

    /**
     * CIFAR ResNet (He et al. 2016): 3x3 conv 16, three stages of (depth-2)/6 basic blocks
     * at 16/32/64 channels, global average pool, linear. Downsampling blocks use a 1x1
     * strided projection with batch norm (option B) instead of the paper's zero-padding.
     */
    static Layer resnet(int depth, int classes) {
        if ((depth - 2) % 6 != 0) throw new IllegalArgumentException("ResNet depth must be 6n+2, got " + depth);
        int blocks = (depth - 2) / 6;
        List<Layer> layers = new ArrayList<>();
        layers.add(new Conv2d("conv1", 16, 3, 1, 1, false));
        layers.add(new BatchNorm2d("bn1"));
        layers.add(new ReLU("relu1"));
        int in = 16;
        int[] widths = {16, 32, 64};
        for (int stage = 0; stage < 3; stage++) {
            for (int b = 0; b < blocks; b++) {
                int stride = (stage > 0 && b == 0) ? 2 : 1;
                int out = widths[stage];
                String name = "layer" + (stage + 1) + "." + b;
                Layer branch = new Sequential("branch",
                        new Conv2d("conv1", out, 3, stride, 1, false), new BatchNorm2d("bn1"), new ReLU("relu"),
                        new Conv2d("conv2", out, 3, 1, 1, false), new BatchNorm2d("bn2"));
                Layer shortcut = (stride != 1 || in != out)
                        ? new Sequential("shortcut", new Conv2d("conv", out, 1, stride, 0, false), new BatchNorm2d("bn"))
                        : null;
                layers.add(new Residual(name, branch, shortcut, true));
                in = out;
            }
        }
        layers.add(Pool2d.globalAverage("gap"));
        layers.add(new Flatten("flatten"));
        layers.add(new Linear("fc", classes));
        return new Sequential("", layers);
    }

    /**
     * Wide ResNet WRN-depth-k (Zagoruyko and Komodakis 2016): pre-activation blocks
     * (BN-ReLU-conv, twice), widths 16k/32k/64k, (depth-4)/6 blocks per stage, no dropout.
     * Where a block changes shape, the 1x1 projection shortcut reads the pre-activated input,
     * as in the authors' code.
     */
    static Layer wideResnet(int depth, int k, int classes) {
        if ((depth - 4) % 6 != 0) throw new IllegalArgumentException("WRN depth must be 6n+4, got " + depth);
        checkWidenFactor(k);
        int blocks = (depth - 4) / 6;
        List<Layer> layers = new ArrayList<>();
        layers.add(new Conv2d("conv1", 16, 3, 1, 1, false));
        int in = 16;
        int[] widths = {16 * k, 32 * k, 64 * k};
        for (int stage = 0; stage < 3; stage++) {
            for (int b = 0; b < blocks; b++) {
                int stride = (stage > 0 && b == 0) ? 2 : 1;
                int out = widths[stage];
                String name = "block" + (stage + 1) + "." + b;
                if (stride != 1 || in != out) {
                    // shared pre-activation feeds both the branch and the projection
                    Layer branch = new Sequential("branch",
                            new Conv2d("conv1", out, 3, stride, 1, false), new BatchNorm2d("bn2"), new ReLU("relu2"),
                            new Conv2d("conv2", out, 3, 1, 1, false));
                    Layer shortcut = new Conv2d("shortcut", out, 1, stride, 0, false);
                    layers.add(new Sequential(name, new BatchNorm2d("bn1"), new ReLU("relu1"),
                            new Residual("res", branch, shortcut, false)));
                } else {
                    Layer branch = new Sequential("branch",
                            new BatchNorm2d("bn1"), new ReLU("relu1"), new Conv2d("conv1", out, 3, 1, 1, false),
                            new BatchNorm2d("bn2"), new ReLU("relu2"), new Conv2d("conv2", out, 3, 1, 1, false));
                    layers.add(new Residual(name, branch, null, false));
                }
                in = out;
            }
        }
        layers.add(new BatchNorm2d("bn"));
        layers.add(new ReLU("relu"));
        layers.add(Pool2d.globalAverage("gap"));
        layers.add(new Flatten("flatten"));
        layers.add(new Linear("fc", classes));
        return new Sequential("", layers);
    }
}
