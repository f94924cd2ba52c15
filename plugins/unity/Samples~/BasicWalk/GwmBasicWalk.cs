using System;
using System.Threading.Tasks;
using GwmEngine;
using GwmEngine.Components;
using UnityEngine;
using UnityEngine.Networking;
using UnityEngine.UI;

/// <summary>
/// The smallest GWM Engine scene: put this on an empty GameObject in an empty scene and press
/// Play with `gwm-engine serve` running. It builds a full-screen RawImage, seeds a world (from
/// <see cref="seed"/>, or else from the sample image and depth the daemon serves) and walks it
/// with WASD / Q E, the mouse (click the game view; Esc lets go), the arrow keys or a gamepad; R resets.
/// </summary>
public sealed class GwmBasicWalk : MonoBehaviour
{
    public string linkUrl = "ws://127.0.0.1:50052/link";
    [Tooltip("Optional; empty: the daemon's own sample street, with its depth.")]
    public Texture2D seed;
    public int width = 640;
    public int height = 480;

    async void Start()
    {
        var image = BuildCanvas();
        var world = new GameObject("GWM world");
        world.SetActive(false);  // configure before OnEnable runs
        var view = world.AddComponent<GwmWorldView>();
        view.linkUrl = linkUrl;
        view.width = width;
        view.height = height;
        view.rawImage = image;
        view.startOnEnable = false;
        var input = world.AddComponent<GwmCameraInput>();
        input.view = view;
        world.SetActive(true);

        try
        {
            if (seed != null)
            {
                view.seedSource = GwmWorldView.SeedSource.Texture;
                view.seedTexture = seed;
                await view.StartSessionAsync();
            }
            else
            {
                // The playground shares the link's port: ws://HOST:PORT/link -> http://HOST:PORT/.
                var link = new Uri(linkUrl);
                string site = (link.Scheme == "wss" ? "https://" : "http://") + link.Authority + "/";
                var request = new CreateSessionRequest
                {
                    SeedImage = await Download(site + "sample.png"),
                    SeedDepth = await Download(site + "sample_depth.f16"),
                    SeedDepthEncoding = DepthEncoding.Float16,
                    Width = width,
                    Height = height,
                    FovDeg = 60,  // the field of view the sample was rendered with
                };
                await view.StartSessionAsync(request);
            }
        }
        catch (Exception e)
        {
            Debug.LogError("GWM Engine sample: " + e.Message + " (is `gwm-engine serve` running at " + linkUrl + "?)");
        }
    }

    RawImage BuildCanvas()
    {
        var canvas = new GameObject("GWM canvas", typeof(Canvas));
        canvas.GetComponent<Canvas>().renderMode = RenderMode.ScreenSpaceOverlay;
        var picture = new GameObject("GWM view", typeof(RawImage), typeof(AspectRatioFitter));
        picture.transform.SetParent(canvas.transform, false);
        var rect = picture.GetComponent<RectTransform>();
        rect.anchorMin = Vector2.zero;
        rect.anchorMax = Vector2.one;
        rect.offsetMin = Vector2.zero;
        rect.offsetMax = Vector2.zero;
        var fitter = picture.GetComponent<AspectRatioFitter>();
        fitter.aspectMode = AspectRatioFitter.AspectMode.FitInParent;
        fitter.aspectRatio = (float)width / height;
        return picture.GetComponent<RawImage>();
    }

    static async Task<byte[]> Download(string url)
    {
        using (var request = UnityWebRequest.Get(url))
        {
            var operation = request.SendWebRequest();
            while (!operation.isDone) await Task.Yield();
            if (request.result != UnityWebRequest.Result.Success)
                throw new InvalidOperationException(url + ": " + request.error);
            return request.downloadHandler.data;
        }
    }
}
